using IntegrationHub.Adapters.AsyncProvider;

namespace IntegrationHub.Providers.Registry;

/// <summary>One provider system the hub forwards requests to.</summary>
public sealed record ProviderSettings(string Name, AsyncProviderOptions Connection, TimeSpan AnswerTimeout, string CallbackSecret);

/// <summary>
/// The providers from configuration <c>Hub:Providers:{name}</c> (BaseUrl, CallTimeout, AnswerTimeout, Auth,
/// Resilience, CallbackSecret) and <c>Hub:PublicBaseUrl</c>, checked once at start-up: a mistake stops the process
/// with every problem listed, instead of failing requests later.
/// </summary>
public sealed class ProviderRegistry
{
    public const string SectionName = "Hub:Providers";
    public const string PublicBaseUrlKey = "Hub:PublicBaseUrl";
    public static readonly TimeSpan DefaultAnswerTimeout = TimeSpan.FromMinutes(5);

    readonly Dictionary<string, ProviderSettings> _providers;
    readonly Uri? _publicBaseUrl;

    ProviderRegistry(Dictionary<string, ProviderSettings> providers, Uri? publicBaseUrl)
    {
        _providers = providers;
        _publicBaseUrl = publicBaseUrl;
    }

    public IReadOnlyCollection<ProviderSettings> All => _providers.Values;

    public bool TryGet(string name, out ProviderSettings provider) => _providers.TryGetValue(name, out provider!);

    /// <summary>Where <paramref name="provider"/> posts its answers: <c>{PublicBaseUrl}/api/v1/providers/{name}/responses</c>.</summary>
    public Uri CallbackUrlFor(ProviderSettings provider) =>
        new(_publicBaseUrl!, $"api/v1/providers/{Uri.EscapeDataString(provider.Name)}/responses");

    public static ProviderRegistry From(IConfiguration configuration)
    {
        var problems = new List<string>();
        var providers = new Dictionary<string, ProviderSettings>(StringComparer.OrdinalIgnoreCase);
        foreach (var section in configuration.GetSection(SectionName).GetChildren())
        {
            var name = section.Key;
            var connection = new AsyncProviderOptions();
            try
            {
                section.Bind(connection);
            }
            catch (InvalidOperationException exception)
            {
                problems.Add($"{SectionName}:{name}: {exception.Message}");
                continue;
            }

            if (connection.BaseUrl is not { IsAbsoluteUri: true } baseUrl || baseUrl.Scheme is not ("http" or "https"))
                problems.Add($"{SectionName}:{name}:BaseUrl is missing or not an absolute http(s) URL");
            else if (!baseUrl.AbsolutePath.EndsWith('/'))
                connection.BaseUrl = new Uri(baseUrl + "/"); // so that "requests" goes under the base path, not beside it

            var auth = connection.Auth;
            if (!AsyncProviderAuthTypes.All.Contains(auth.Type, StringComparer.Ordinal))
                problems.Add($"{SectionName}:{name}:Auth:Type '{auth.Type}' is unknown (use {string.Join(", ", AsyncProviderAuthTypes.All)})");
            if (auth.Type == AsyncProviderAuthTypes.ApiKey && (string.IsNullOrWhiteSpace(auth.ApiKey) || string.IsNullOrWhiteSpace(auth.Header)))
                problems.Add($"{SectionName}:{name}:Auth:ApiKey (and :Header) are required for Auth:Type ApiKey");
            if (auth.Type == AsyncProviderAuthTypes.OAuth2 && (auth.TokenUrl is not { IsAbsoluteUri: true } || string.IsNullOrWhiteSpace(auth.ClientId) || string.IsNullOrWhiteSpace(auth.ClientSecret)))
                problems.Add($"{SectionName}:{name}:Auth:TokenUrl, :ClientId and :ClientSecret are required for Auth:Type OAuth2");
            if (connection.CallTimeout <= TimeSpan.Zero)
                problems.Add($"{SectionName}:{name}:CallTimeout must be positive");
            if (connection.Resilience.MaxAttempts < 1)
                problems.Add($"{SectionName}:{name}:Resilience:MaxAttempts must be at least 1");

            var answerTimeout = section.GetValue<TimeSpan?>("AnswerTimeout") ?? DefaultAnswerTimeout;
            if (answerTimeout <= TimeSpan.Zero)
                problems.Add($"{SectionName}:{name}:AnswerTimeout must be positive");
            var secret = section["CallbackSecret"];
            if (string.IsNullOrWhiteSpace(secret))
                problems.Add($"{SectionName}:{name}:CallbackSecret is required (the provider signs its callbacks with it)");

            providers[name] = new ProviderSettings(name, connection, answerTimeout, secret ?? "");
        }

        Uri? publicBaseUrl = null;
        if (providers.Count > 0)
        {
            var configured = configuration[PublicBaseUrlKey];
            if (!Uri.TryCreate(configured, UriKind.Absolute, out publicBaseUrl) || publicBaseUrl.Scheme is not ("http" or "https"))
                problems.Add($"{PublicBaseUrlKey} is required: the hub's public address, from which providers' callback URLs are made");
            else if (!publicBaseUrl.AbsolutePath.EndsWith('/'))
                publicBaseUrl = new Uri(publicBaseUrl + "/");
        }

        if (problems.Count > 0)
            throw new InvalidOperationException("Provider configuration is invalid:" + Environment.NewLine + "  " +
                                                string.Join(Environment.NewLine + "  ", problems));
        return new ProviderRegistry(providers, publicBaseUrl);
    }
}
