using System.Globalization;
using IntegrationHub.Adapters.Abdm.Callbacks;
using IntegrationHub.Adapters.Abdm.Gateway;
using IntegrationHub.Hosting.Configuration;
using IntegrationHub.Hosting.Departments;

namespace IntegrationHub.Abdm;

/// <summary>One HIP the hub serves: its ABDM id (<c>X-HIP-ID</c>), the department whose patients it holds, and where they are.</summary>
/// <param name="FhirServer">The department's FHIR R4 server the registry searches; null when a simulator registry stands in.</param>
public sealed record AbdmHip(string Id, string Department, Uri? FhirServer, string? FhirBearerToken);

/// <summary>
/// Section <c>Hub:Abdm</c> (docs/abdm.md): the gateway (<c>Gateway:BaseUrl</c>, <c>ApiVersion</c> V3 | V05, <c>ClientId</c>,
/// <c>ClientSecret</c>, <c>CmId</c>, <c>Paths:{call}</c>), how its calls are verified (<c>Jwt:Issuers</c>, <c>Jwt:Audiences</c>,
/// <c>Jwt:JwksUrl</c>), the callback prefix (<c>CallbackPrefix</c>, <c>/abdm</c>), the bridge URL to register at start
/// (<c>BridgeUrl</c>), the HIPs (<c>Hips:{hipId}:Department</c>, <c>Hips:{hipId}:FhirServer</c>) and the flows' limits
/// (<c>Discovery:Timeout</c>, <c>Linking:*</c>). Checked at start, every problem listed at once.
/// </summary>
public sealed class AbdmOptions
{
    public const string SectionName = "Hub:Abdm";

    /// <summary>Null when no gateway is configured: the endpoint then refuses ABDM calls (503) and says so at start.</summary>
    public AbdmGatewayOptions? Gateway { get; private init; }

    public AbdmJwtOptions? Jwt { get; private init; }

    public AbdmApiVersion ApiVersion => Gateway?.ApiVersion ?? AbdmApiVersion.V3;

    /// <summary>Where the gateway's calls arrive: <c>{prefix}/api/v3/…</c> or <c>{prefix}/v0.5/…</c>, never under <c>/api/v1</c>.</summary>
    public string CallbackPrefix { get; private init; } = "/abdm";

    /// <summary>The hub's public base for ABDM (e.g. https://hub.example.gov.in/abdm), registered with the gateway at start when set.</summary>
    public Uri? BridgeUrl { get; private init; }

    /// <summary>v3 on-discover / on-confirm with <c>patient</c> as an array (the v3 page) or an object (v0.5); default by generation.</summary>
    public bool PatientAsArray { get; private init; }

    public IReadOnlyDictionary<string, AbdmHip> Hips { get; private init; } = new Dictionary<string, AbdmHip>();

    /// <summary>How long the department's registry may take to search before on-discover answers with an error.</summary>
    public TimeSpan DiscoveryTimeout { get; private init; } = TimeSpan.FromSeconds(20);

    /// <summary>How long after discovery the patient may start linking (link init).</summary>
    public TimeSpan LinkWindow { get; private init; } = TimeSpan.FromMinutes(30);

    public TimeSpan OtpLifetime { get; private init; } = TimeSpan.FromMinutes(5);

    public int OtpLength { get; private init; } = 6;

    public int MaxOtpAttempts { get; private init; } = 3;

    /// <summary>How long a HIP-initiated link may take in all, from generate-token to the gateway's on_carecontext.</summary>
    public TimeSpan HipLinkTimeout { get; private init; } = TimeSpan.FromMinutes(5);

    /// <summary><c>webhook</c> (the department sends the OTP it gets as <c>abdm.link_otp</c>) or <c>simulator</c> (Development).</summary>
    public string OtpSender { get; private init; } = OtpSenders.Webhook;

    public AbdmHip? Hip(string? hipId) => hipId is null ? null : Hips.GetValueOrDefault(hipId.Trim());

    public IEnumerable<AbdmHip> HipsOf(string department) =>
        Hips.Values.Where(h => h.Department == DepartmentRegistry.Normalize(department));

    public static AbdmOptions From(IConfiguration configuration)
    {
        var section = configuration.GetSection(SectionName);
        var problems = new List<string>();
        var gateway = ReadGateway(section.GetSection("Gateway"), problems);
        var jwt = gateway is null ? null : ReadJwt(section.GetSection("Jwt"), gateway, problems);

        var prefix = section["CallbackPrefix"] ?? "/abdm";
        if (!prefix.StartsWith('/') || prefix.EndsWith('/') || prefix.Length < 2 || prefix.StartsWith("/api/v1", StringComparison.OrdinalIgnoreCase)
            || prefix.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '/' or '-' or '_')))
            problems.Add($"{SectionName}:CallbackPrefix must be a path such as /abdm (a leading '/', no trailing one, not under /api/v1), got '{prefix}'");

        Uri? bridge = null;
        if (section["BridgeUrl"] is { Length: > 0 } bridgeText
            && (!Uri.TryCreate(bridgeText, UriKind.Absolute, out bridge) || bridge.Scheme != "https" && !bridge.IsLoopback || bridge.Query.Length > 0))
            problems.Add($"{SectionName}:BridgeUrl must be the hub's public https base for ABDM, with no query (e.g. https://hub.example.gov.in{prefix}), got '{bridgeText}'");

        var hips = new Dictionary<string, AbdmHip>(StringComparer.Ordinal);
        foreach (var hip in section.GetSection("Hips").GetChildren())
        {
            var key = $"{SectionName}:Hips:{hip.Key}";
            if (hip.Key.Length > 64 || hip.Key.Any(char.IsControl))
                problems.Add($"{key}: a HIP id has at most 64 characters");
            var department = hip["Department"];
            if (string.IsNullOrWhiteSpace(department))
                problems.Add($"{key}:Department is required (the department whose patients this HIP holds)");
            else if (!configuration.GetSection($"{DepartmentOptions.SectionName}:{department}").Exists()
                     && !configuration.GetSection(DepartmentOptions.SectionName).GetChildren().Any(d => DepartmentRegistry.Normalize(d.Key) == DepartmentRegistry.Normalize(department)))
                problems.Add($"{key}:Department names '{department}', which is not in {DepartmentOptions.SectionName}");
            Uri? fhir = null;
            if (hip["FhirServer"] is { Length: > 0 } url
                && (!Uri.TryCreate(url, UriKind.Absolute, out fhir) || fhir.Scheme != "https" && !(fhir.Scheme == "http" && fhir.IsLoopback)))
                problems.Add($"{key}:FhirServer must be an https URL (or http on this machine), got '{url}'");
            hips[hip.Key] = new AbdmHip(hip.Key, DepartmentRegistry.Normalize(department ?? ""), fhir, hip["FhirBearerToken"]);
        }

        var discovery = section.GetSection("Discovery");
        var linking = section.GetSection("Linking");
        var options = new AbdmOptions
        {
            Gateway = gateway,
            Jwt = jwt,
            CallbackPrefix = prefix,
            BridgeUrl = bridge,
            PatientAsArray = section.Bool("PatientAsArray", (gateway?.ApiVersion ?? AbdmApiVersion.V3) == AbdmApiVersion.V3, problems),
            Hips = hips,
            DiscoveryTimeout = discovery.Span("Timeout", TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(1), problems),
            LinkWindow = linking.Span("LinkWindow", TimeSpan.FromMinutes(30), TimeSpan.FromMinutes(1), problems),
            OtpLifetime = linking.Span("OtpLifetime", TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(1), problems),
            HipLinkTimeout = linking.Span("HipLinkTimeout", TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(1), problems),
            OtpLength = linking.Int("OtpLength", 6, 4, 9, problems),
            MaxOtpAttempts = linking.Int("MaxOtpAttempts", 3, 1, 10, problems),
            OtpSender = linking["OtpSender"] ?? OtpSenders.Webhook,
        };
        if (options.OtpSender is not (OtpSenders.Webhook or OtpSenders.Simulator))
            problems.Add($"{SectionName}:Linking:OtpSender must be '{OtpSenders.Webhook}' or '{OtpSenders.Simulator}', got '{options.OtpSender}'");
        if (gateway is null && hips.Count > 0)
            problems.Add($"{SectionName}:Gateway:BaseUrl is required when {SectionName}:Hips names HIPs");
        HubSettingsException.ThrowIfAny(problems);
        return options;
    }

    static AbdmGatewayOptions? ReadGateway(IConfigurationSection gateway, List<string> problems)
    {
        if (!gateway.Exists()) return null;
        var key = $"{SectionName}:Gateway";
        Uri? baseUrl = null;
        if (gateway["BaseUrl"] is not { Length: > 0 } text || !Uri.TryCreate(text, UriKind.Absolute, out baseUrl))
            problems.Add($"{key}:BaseUrl must be the gateway's absolute URL (e.g. https://dev.abdm.gov.in for v3, https://dev.abdm.gov.in/gateway for v0.5)");
        var version = AbdmApiVersion.V3;
        if (gateway["ApiVersion"] is { } versionText && !TryVersion(versionText, out version))
        {
            problems.Add($"{key}:ApiVersion must be V3 or V05 (v0.5), got '{versionText}'");
            version = AbdmApiVersion.V3; // to go on checking the rest
        }
        var paths = new Dictionary<AbdmOutbound, string>();
        foreach (var path in gateway.GetSection("Paths").GetChildren())
        {
            if (Enum.TryParse<AbdmOutbound>(path.Key, ignoreCase: true, out var call))
                paths[call] = path.Value ?? "";
            else
                problems.Add($"{key}:Paths:{path.Key} is not a gateway call (one of {string.Join(", ", Enum.GetNames<AbdmOutbound>())})");
        }
        if (baseUrl is null) return null;
        var options = new AbdmGatewayOptions
        {
            BaseUrl = baseUrl,
            ApiVersion = version,
            ClientId = gateway["ClientId"] ?? "",
            ClientSecret = gateway["ClientSecret"] ?? "",
            CmId = gateway["CmId"] ?? "sbx",
            Timeout = gateway.Span("Timeout", TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1), problems),
            Paths = paths,
        };
        problems.AddRange(options.Problems().Select(p => $"{key}: {p}"));
        return options;
    }

    static AbdmJwtOptions? ReadJwt(IConfigurationSection jwt, AbdmGatewayOptions gateway, List<string> problems)
    {
        var key = $"{SectionName}:Jwt";
        var issuers = jwt.GetSection("Issuers").GetChildren().Select(c => c.Value).OfType<string>().Where(v => v.Length > 0).ToList();
        if (jwt["Issuer"] is { Length: > 0 } issuer) issuers.Add(issuer);
        if (issuers.Count == 0)
            problems.Add($"{key}:Issuers must name the issuer of the gateway's tokens (e.g. https://dev.ndhm.gov.in/auth/realms/central-registry): every call is verified");
        var audiences = jwt.GetSection("Audiences").GetChildren().Select(c => c.Value).OfType<string>().Where(v => v.Length > 0).ToList();
        var jwks = new Uri(gateway.BaseUrl, gateway.BaseUrl.AbsolutePath.TrimEnd('/') + gateway.PathOf(AbdmOutbound.Certs));
        if (jwt["JwksUrl"] is { Length: > 0 } jwksText && (!Uri.TryCreate(jwksText, UriKind.Absolute, out jwks!) || jwks.Scheme != "https" && !jwks.IsLoopback))
            problems.Add($"{key}:JwksUrl must be an https URL, got '{jwksText}'");
        return issuers.Count == 0 ? null : new AbdmJwtOptions
        {
            JwksUrl = jwks,
            Issuers = issuers,
            Audiences = audiences,
            ClockSkew = jwt.Span("ClockSkew", TimeSpan.FromMinutes(1), TimeSpan.Zero, problems),
        };
    }

    public static bool TryVersion(string text, out AbdmApiVersion version)
    {
        version = text.Trim().ToUpperInvariant() switch { "V3" or "3" => AbdmApiVersion.V3, "V05" or "V0.5" or "0.5" => AbdmApiVersion.V05, _ => (AbdmApiVersion)(-1) };
        return Enum.IsDefined(version);
    }
}

public static class OtpSenders
{
    public const string Webhook = "webhook";
    public const string Simulator = "simulator";
}
