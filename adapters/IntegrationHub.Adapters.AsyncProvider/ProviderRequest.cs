namespace IntegrationHub.Adapters.AsyncProvider;

/// <summary>What the hub asks of a provider. <paramref name="Payload"/> is JSON, passed through as is.</summary>
public sealed record ProviderRequest(string CorrelationId, string Service, string Payload, Uri CallbackUrl);

/// <summary>
/// The provider's immediate answer: accepted (it will call back later), or refused with its reason (it never will).
/// Transient failures are not an outcome: they throw <see cref="ProviderUnavailableException"/>.
/// </summary>
public sealed record ProviderSubmission(bool Accepted, int StatusCode, string? RefusalReason)
{
    public static ProviderSubmission Accept(int statusCode) => new(true, statusCode, null);
    public static ProviderSubmission Refuse(int statusCode, string reason) => new(false, statusCode, reason);
}

/// <summary>The provider could not be reached, kept failing (5xx, 408, 429, timeouts) or its circuit is open: try again later.</summary>
public sealed class ProviderUnavailableException(string provider, string reason, Exception? inner = null)
    : Exception($"Provider {provider} is unavailable: {reason}", inner)
{
    public string Provider { get; } = provider;
}
