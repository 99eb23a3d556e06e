namespace IntegrationHub.Adapters.AsyncProvider;

/// <summary>How the hub reaches one asynchronous provider system (docs/providers.md).</summary>
public sealed class AsyncProviderOptions
{
    /// <summary>The provider's API; requests go to <c>{BaseUrl}/requests</c>.</summary>
    public Uri? BaseUrl { get; set; }

    /// <summary>Longest wait for one attempt of a call (default 10 s).</summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The provider answers <c>GET {BaseUrl}/requests/{correlationId}</c> (200 when it has the request, 404 when not): after
    /// a call whose outcome the hub could not record, the hub asks instead of sending the request again.
    /// </summary>
    public bool StatusQuery { get; set; }

    public AsyncProviderAuthOptions Auth { get; set; } = new();

    public AsyncProviderResilienceOptions Resilience { get; set; } = new();

    /// <summary>Everything wrong with these options, each naming its key under <paramref name="section"/>; empty when they can run.</summary>
    public IEnumerable<string> Problems(string section)
    {
        if (BaseUrl is not { IsAbsoluteUri: true } baseUrl || baseUrl.Scheme is not ("http" or "https"))
            yield return $"{section}:BaseUrl is missing or not an absolute http(s) URL";
        if (!AsyncProviderAuthTypes.All.Contains(Auth.Type, StringComparer.Ordinal))
            yield return $"{section}:Auth:Type '{Auth.Type}' is unknown (use {string.Join(", ", AsyncProviderAuthTypes.All)})";
        if (Auth.Type == AsyncProviderAuthTypes.ApiKey && (string.IsNullOrWhiteSpace(Auth.ApiKey) || string.IsNullOrWhiteSpace(Auth.Header)))
            yield return $"{section}:Auth:ApiKey (and :Header) are required for Auth:Type ApiKey";
        if (Auth.Type == AsyncProviderAuthTypes.OAuth2 && (Auth.TokenUrl is not { IsAbsoluteUri: true } || string.IsNullOrWhiteSpace(Auth.ClientId) || string.IsNullOrWhiteSpace(Auth.ClientSecret)))
            yield return $"{section}:Auth:TokenUrl, :ClientId and :ClientSecret are required for Auth:Type OAuth2";
        if (CallTimeout <= TimeSpan.Zero || CallTimeout > TimeSpan.FromMinutes(10))
            yield return $"{section}:CallTimeout must be positive and at most 10 minutes";
        if (Resilience.MaxAttempts is < 1 or > 20)
            yield return $"{section}:Resilience:MaxAttempts must be between 1 and 20";
        if (Resilience.RetryDelay < TimeSpan.Zero)
            yield return $"{section}:Resilience:RetryDelay must not be negative";
        if (Resilience.BreakerFailureRatio is <= 0 or > 1)
            yield return $"{section}:Resilience:BreakerFailureRatio must be above 0 and at most 1";
        if (Resilience.BreakerMinimumThroughput < 2)
            yield return $"{section}:Resilience:BreakerMinimumThroughput must be at least 2";
        if (Resilience.BreakerSamplingDuration < TimeSpan.FromMilliseconds(500))
            yield return $"{section}:Resilience:BreakerSamplingDuration must be at least 00:00:00.5";
        if (Resilience.BreakerBreakDuration < TimeSpan.FromMilliseconds(500))
            yield return $"{section}:Resilience:BreakerBreakDuration must be at least 00:00:00.5";
    }

    /// <summary>The base URL with a trailing slash, so that <c>requests</c> goes under its path, not beside it.</summary>
    internal Uri RequestsBase => BaseUrl!.AbsolutePath.EndsWith('/') ? BaseUrl : new Uri(BaseUrl + "/");
}

public static class AsyncProviderAuthTypes
{
    public const string None = "None";
    public const string ApiKey = "ApiKey";
    public const string OAuth2 = "OAuth2";

    public static readonly IReadOnlyList<string> All = [None, ApiKey, OAuth2];
}

/// <summary>
/// <c>Type</c> = <c>ApiKey</c> (a header, <c>X-Api-Key</c> by default) or <c>OAuth2</c> (client credentials; the token
/// is cached until shortly before it expires and fetched again once when the provider answers 401) or <c>None</c>.
/// </summary>
public sealed class AsyncProviderAuthOptions
{
    public string Type { get; set; } = AsyncProviderAuthTypes.None;

    public string Header { get; set; } = "X-Api-Key";
    public string? ApiKey { get; set; }

    public Uri? TokenUrl { get; set; }
    public string? ClientId { get; set; }
    public string? ClientSecret { get; set; }
    public string? Scope { get; set; }
}

/// <summary>Retries inside one call (with jitter) and the provider's circuit breaker.</summary>
public sealed class AsyncProviderResilienceOptions
{
    /// <summary>Attempts per call, the first included (default 3).</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Base delay of the exponential, jittered backoff between attempts.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The circuit opens when this share of the attempts in <see cref="BreakerSamplingDuration"/> failed...</summary>
    public double BreakerFailureRatio { get; set; } = 0.5;

    /// <summary>...and at least this many attempts were made in that time.</summary>
    public int BreakerMinimumThroughput { get; set; } = 10;

    public TimeSpan BreakerSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an open circuit fails calls at once, without calling the provider.</summary>
    public TimeSpan BreakerBreakDuration { get; set; } = TimeSpan.FromSeconds(30);
}
