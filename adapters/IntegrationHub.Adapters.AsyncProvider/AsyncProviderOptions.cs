namespace IntegrationHub.Adapters.AsyncProvider;

/// <summary>How the hub reaches one asynchronous provider system (configuration section <c>Hub:Providers:{name}</c>).</summary>
public sealed class AsyncProviderOptions
{
    /// <summary>The provider's API; requests go to <c>{BaseUrl}/requests</c>.</summary>
    public Uri? BaseUrl { get; set; }

    /// <summary>Longest wait for one attempt of a call (default 10 s).</summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public AsyncProviderAuthOptions Auth { get; set; } = new();

    public AsyncProviderResilienceOptions Resilience { get; set; } = new();
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
