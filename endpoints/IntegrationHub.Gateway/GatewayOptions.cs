using IntegrationHub.Hosting.Configuration;

namespace IntegrationHub.Gateway;

/// <summary>
/// The gateway's settings, section <c>Hub:Gateway</c>: the largest body it accepts, and the services departments may
/// request with the provider system serving each (<c>Hub:Gateway:Services:{service}:Provider</c>, e.g.
/// <c>Hub__Gateway__Services__birth-certificate__Provider=civil-registry</c>).
/// </summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Hub:Gateway";
    public const string ServicesSection = SectionName + ":Services";

    /// <summary>Largest request body accepted; larger ones get 413.</summary>
    public int MaxRequestBytes { get; set; } = 256 * 1024;

    public ServiceCatalog Services { get; private init; } = new(new Dictionary<string, string>());

    public static GatewayOptions From(IConfiguration configuration)
    {
        var section = configuration.GetSection(SectionName);
        var problems = new List<string>();
        var maxRequestBytes = section.GetValue(nameof(MaxRequestBytes), 256 * 1024);
        if (maxRequestBytes is < 1 or > 64 * 1024 * 1024)
            problems.Add($"{SectionName}:{nameof(MaxRequestBytes)} must be between 1 and 67108864 (64 MiB)");

        var providers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var service in configuration.GetSection(ServicesSection).GetChildren())
        {
            if (string.IsNullOrWhiteSpace(service["Provider"]))
                problems.Add($"{ServicesSection}:{service.Key}:Provider is required: the provider system that serves '{service.Key}'");
            else
                providers[service.Key] = service["Provider"]!;
        }
        HubSettingsException.ThrowIfAny(problems);
        return new GatewayOptions { MaxRequestBytes = maxRequestBytes, Services = new ServiceCatalog(providers) };
    }
}

/// <summary>The services departments may request, each served by one provider system.</summary>
public sealed class ServiceCatalog(IReadOnlyDictionary<string, string> providers)
{
    public IEnumerable<string> Names => providers.Keys.Order(StringComparer.Ordinal);

    public bool TryGetProvider(string service, out string provider) => providers.TryGetValue(service, out provider!);
}
