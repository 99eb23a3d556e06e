using IntegrationHub.Adapters.AsyncProvider;
using IntegrationHub.Hosting.Configuration;

namespace IntegrationHub.Providers.Registry;

/// <summary>One provider system the hub forwards requests to.</summary>
public sealed record ProviderSettings(string Name, AsyncProviderOptions Connection, TimeSpan AnswerTimeout, string CallbackSecret);

/// <summary>
/// The providers from configuration <c>Hub:Providers:Systems:{name}</c> (the adapter's settings — BaseUrl, CallTimeout,
/// StatusQuery, Auth, Resilience — plus AnswerTimeout and CallbackSecret) and <c>Hub:PublicBaseUrl</c>, checked once at
/// start-up: a mistake stops the process with every problem listed, instead of failing requests later.
/// </summary>
public sealed class ProviderRegistry
{
    public const string SectionName = "Hub:Providers:Systems";
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
        new(_publicBaseUrl!, $"{Api.ProvidersApi.Prefix.TrimStart('/')}/{Uri.EscapeDataString(provider.Name)}/responses"); // relative: a base path is kept

    public static ProviderRegistry From(IConfiguration configuration)
    {
        var problems = new List<string>();
        var providers = new Dictionary<string, ProviderSettings>(StringComparer.OrdinalIgnoreCase);
        foreach (var section in configuration.GetSection(SectionName).GetChildren())
        {
            var name = section.Key;
            var key = $"{SectionName}:{name}";
            var connection = new AsyncProviderOptions();
            if (!SettingsBinding.TryBind(section, connection, problems))
                continue;
            problems.AddRange(connection.Problems(key));

            var answerTimeout = DefaultAnswerTimeout;
            try
            {
                answerTimeout = section.GetValue<TimeSpan?>("AnswerTimeout") ?? DefaultAnswerTimeout;
            }
            catch (InvalidOperationException)
            {
                problems.Add($"{key}:AnswerTimeout is not a time span (e.g. 00:05:00 for five minutes)");
            }
            if (answerTimeout <= TimeSpan.Zero)
                problems.Add($"{key}:AnswerTimeout must be positive");
            var secret = section["CallbackSecret"];
            if (string.IsNullOrWhiteSpace(secret))
                problems.Add($"{key}:CallbackSecret is required (the provider signs its callbacks with it)");

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

        HubSettingsException.ThrowIfAny(problems);
        return new ProviderRegistry(providers, publicBaseUrl);
    }
}
