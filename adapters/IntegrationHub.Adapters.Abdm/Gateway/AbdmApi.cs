namespace IntegrationHub.Adapters.Abdm.Gateway;

/// <summary>The gateway's API generation a deployment speaks (one per deployment: <c>Hub:Abdm:Gateway:ApiVersion</c>).</summary>
public enum AbdmApiVersion
{
    /// <summary>The current API: correlation in the <c>REQUEST-ID</c> / <c>TIMESTAMP</c> headers, <c>response.requestId</c> in callbacks.</summary>
    V3,

    /// <summary>The first API: <c>requestId</c> and <c>timestamp</c> in the body, <c>resp.requestId</c> in callbacks.</summary>
    V05,
}

/// <summary>Calls the hub makes to the gateway.</summary>
public enum AbdmOutbound
{
    Sessions,
    Certs,
    BridgeUrl,
    OnDiscover,
    OnInitLink,
    OnConfirmLink,
    GenerateLinkToken,
    LinkCareContexts,
    NotifyContext,
}

/// <summary>Calls the gateway makes to the hub (under the hub's callback prefix, <c>/abdm</c> by default).</summary>
public enum AbdmInbound
{
    Discover,
    InitLink,
    ConfirmLink,
    OnGenerateLinkToken,
    OnLinkCareContexts,
    OnNotifyContext,
}

/// <summary>
/// The paths of both API generations (formats.md §1.2: v0.5 verified in the ndhm-hip OpenAPI file; v3 reported alike by
/// three independent implementations). Outbound paths can be overridden per deployment (<c>Hub:Abdm:Gateway:Paths:{name}</c>),
/// since the v3 ones are not confirmed from a first-party source.
/// </summary>
public static class AbdmPaths
{
    public static string Outbound(AbdmApiVersion version, AbdmOutbound call) => (version, call) switch
    {
        (AbdmApiVersion.V3, AbdmOutbound.Sessions) => "/api/hiecm/gateway/v3/sessions",
        (AbdmApiVersion.V3, AbdmOutbound.Certs) => "/api/hiecm/gateway/v3/certs",
        (AbdmApiVersion.V3, AbdmOutbound.BridgeUrl) => "/api/hiecm/gateway/v3/bridge/url",
        (AbdmApiVersion.V3, AbdmOutbound.OnDiscover) => "/api/hiecm/user-initiated-linking/v3/patient/care-context/on-discover",
        (AbdmApiVersion.V3, AbdmOutbound.OnInitLink) => "/api/hiecm/user-initiated-linking/v3/link/care-context/on-init",
        (AbdmApiVersion.V3, AbdmOutbound.OnConfirmLink) => "/api/hiecm/user-initiated-linking/v3/link/care-context/on-confirm",
        (AbdmApiVersion.V3, AbdmOutbound.GenerateLinkToken) => "/api/hiecm/v3/token/generate-token",
        (AbdmApiVersion.V3, AbdmOutbound.LinkCareContexts) => "/api/hiecm/hip/v3/link/carecontext",
        (AbdmApiVersion.V3, AbdmOutbound.NotifyContext) => "/api/hiecm/hip/v3/link/context/notify",
        (AbdmApiVersion.V05, AbdmOutbound.Sessions) => "/v0.5/sessions",
        (AbdmApiVersion.V05, AbdmOutbound.Certs) => "/v0.5/certs",
        (AbdmApiVersion.V05, AbdmOutbound.BridgeUrl) => "/v1/bridges",
        (AbdmApiVersion.V05, AbdmOutbound.OnDiscover) => "/v0.5/care-contexts/on-discover",
        (AbdmApiVersion.V05, AbdmOutbound.OnInitLink) => "/v0.5/links/link/on-init",
        (AbdmApiVersion.V05, AbdmOutbound.OnConfirmLink) => "/v0.5/links/link/on-confirm",
        _ => throw new ArgumentOutOfRangeException(nameof(call), call, $"No {call} path in {version}"),
    };

    /// <summary>
    /// The path the gateway calls, as its documentation spells it (v3 with <c>/api</c>; some NHA pages drop it, so the
    /// hub also answers <see cref="Spellings"/> without it).
    /// </summary>
    public static string Inbound(AbdmApiVersion version, AbdmInbound call) => (version, call) switch
    {
        (AbdmApiVersion.V3, AbdmInbound.Discover) => "/api/v3/hip/patient/care-context/discover",
        (AbdmApiVersion.V3, AbdmInbound.InitLink) => "/api/v3/hip/link/care-context/init",
        (AbdmApiVersion.V3, AbdmInbound.ConfirmLink) => "/api/v3/hip/link/care-context/confirm",
        (AbdmApiVersion.V3, AbdmInbound.OnGenerateLinkToken) => "/api/v3/hip/token/on-generate-token",
        (AbdmApiVersion.V3, AbdmInbound.OnLinkCareContexts) => "/api/v3/link/on_carecontext",
        (AbdmApiVersion.V3, AbdmInbound.OnNotifyContext) => "/api/v3/links/context/on-notify",
        (AbdmApiVersion.V05, AbdmInbound.Discover) => "/v0.5/care-contexts/discover",
        (AbdmApiVersion.V05, AbdmInbound.InitLink) => "/v0.5/links/link/init",
        (AbdmApiVersion.V05, AbdmInbound.ConfirmLink) => "/v0.5/links/link/confirm",
        _ => throw new ArgumentOutOfRangeException(nameof(call), call, $"No {call} path in {version}"),
    };

    /// <summary>
    /// HIP-initiated linking (link token, care contexts, new-record notice) is built for v3 only: v0.5 links through the
    /// patient's own authentication (<c>users/auth/*</c>), which the hub does not drive.
    /// </summary>
    public static bool HasHipInitiatedLinking(AbdmApiVersion version) => version == AbdmApiVersion.V3;

    public static IEnumerable<AbdmInbound> InboundCalls(AbdmApiVersion version) =>
        HasHipInitiatedLinking(version) ? Enum.GetValues<AbdmInbound>() : [AbdmInbound.Discover, AbdmInbound.InitLink, AbdmInbound.ConfirmLink];

    /// <summary>Both spellings of an inbound path: as documented, and without (or with) the leading <c>/api</c>.</summary>
    public static IReadOnlyList<string> Spellings(AbdmApiVersion version, AbdmInbound call)
    {
        var path = Inbound(version, call);
        return path.StartsWith("/api/", StringComparison.Ordinal) ? [path, path["/api".Length..]] : [path, "/api" + path];
    }
}
