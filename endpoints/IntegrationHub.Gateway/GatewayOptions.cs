namespace IntegrationHub.Gateway;

/// <summary>The <c>Hub:Gateway</c> section.</summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Hub:Gateway";

    /// <summary>Largest request body accepted; larger ones get 413.</summary>
    public int MaxRequestBytes { get; set; } = 256 * 1024;
}

/// <summary>
/// The services departments may request, from <c>Hub:Services:{service}:Provider</c> (the provider system that serves
/// each one), e.g. <c>Hub__Services__birth-certificate__Provider=civil-registry</c>.
/// </summary>
public sealed class ServiceCatalog(IReadOnlyDictionary<string, string> providers)
{
    public const string SectionName = "Hub:Services";

    public IEnumerable<string> Names => providers.Keys.Order(StringComparer.Ordinal);

    public bool TryGetProvider(string service, out string provider) => providers.TryGetValue(service, out provider!);

    public static ServiceCatalog From(IConfiguration configuration) => new(configuration.GetSection(SectionName).GetChildren()
        .Where(service => !string.IsNullOrWhiteSpace(service["Provider"]))
        .ToDictionary(service => service.Key, service => service["Provider"]!, StringComparer.Ordinal));
}
