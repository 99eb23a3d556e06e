namespace IntegrationHub.Adapters.Abdm.Gateway;

/// <summary>How the hub reaches the ABDM gateway (<c>Hub:Abdm:Gateway</c>).</summary>
public sealed class AbdmGatewayOptions
{
    /// <summary>The gateway's base, path prefix included: <c>https://dev.abdm.gov.in</c> (v3), <c>https://dev.abdm.gov.in/gateway</c> (v0.5).</summary>
    public required Uri BaseUrl { get; init; }

    public AbdmApiVersion ApiVersion { get; init; } = AbdmApiVersion.V3;

    public string ClientId { get; init; } = "";

    public string ClientSecret { get; init; } = "";

    /// <summary>Sent as <c>X-CM-ID</c>: <c>sbx</c> in the sandbox, <c>abdm</c> in production.</summary>
    public string CmId { get; init; } = "sbx";

    /// <summary>The longest one HTTP call to the gateway may take (the session call and each try of a call alike).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long before its expiry a session token is replaced.</summary>
    public TimeSpan RefreshBeforeExpiry { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Per-call path overrides (the v3 paths are reported by implementers, not confirmed from a first-party source).</summary>
    public IReadOnlyDictionary<AbdmOutbound, string> Paths { get; init; } = new Dictionary<AbdmOutbound, string>();

    public string PathOf(AbdmOutbound call) =>
        Paths.TryGetValue(call, out var path) ? path : AbdmPaths.Outbound(ApiVersion, call);

    /// <summary>Every problem with these options at once (empty when they are usable).</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        // BaseUrl is required, but a configuration binder can still leave it null.
        if (BaseUrl is null)
            problems.Add("BaseUrl is missing");
        else if (!BaseUrl.IsAbsoluteUri)
            problems.Add("BaseUrl must be an absolute URL");
        else
        {
            if (BaseUrl.Scheme != Uri.UriSchemeHttps && !BaseUrl.IsLoopback)
                problems.Add("BaseUrl must use https (plain http only for a loopback gateway)");
            if (BaseUrl.Query.Length > 0 || BaseUrl.Fragment.Length > 0)
                problems.Add("BaseUrl must not have a query or fragment");
        }
        if (string.IsNullOrWhiteSpace(ClientId))
            problems.Add("ClientId is empty");
        if (string.IsNullOrWhiteSpace(ClientSecret))
            problems.Add("ClientSecret is empty");
        if (string.IsNullOrWhiteSpace(CmId))
            problems.Add("CmId is empty");
        if (Timeout <= TimeSpan.Zero)
            problems.Add("Timeout must be positive");
        if (RefreshBeforeExpiry < TimeSpan.Zero)
            problems.Add("RefreshBeforeExpiry must not be negative");
        foreach (var (call, path) in Paths ?? new Dictionary<AbdmOutbound, string>())
            if (path is null || !path.StartsWith('/'))
                problems.Add($"Paths:{call} must start with '/'");
        return problems;
    }

    /// <summary>The absolute URL of <paramref name="call"/>: the base's path prefix kept, the call's path appended.</summary>
    internal Uri UrlOf(AbdmOutbound call) => new(BaseUrl.AbsoluteUri.TrimEnd('/') + PathOf(call));
}
