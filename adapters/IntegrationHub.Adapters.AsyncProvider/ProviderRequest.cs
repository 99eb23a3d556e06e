using IntegrationHub.Adapters;

namespace IntegrationHub.Adapters.AsyncProvider;

/// <summary>
/// What the hub asks of a provider. <paramref name="Payload"/> is JSON, passed through as is; <paramref name="CorrelationId"/>
/// (the request id) is also the call's idempotency key.
/// </summary>
public sealed record ProviderRequest(string CorrelationId, string Service, string Payload, Uri CallbackUrl);

/// <summary>
/// The provider's immediate answer: accepted (it will call back later), or refused with its reason (it never will).
/// Failures that say nothing of the request are not an outcome: they throw <see cref="ProviderUnavailableException"/>.
/// </summary>
public sealed record ProviderSubmission(bool Accepted, int StatusCode, string? RefusalReason)
{
    public static ProviderSubmission Accept(int statusCode) => new(true, statusCode, null);
    public static ProviderSubmission Refuse(int statusCode, string reason) => new(false, statusCode, reason);

    public override string ToString() => Accepted ? $"accepted (HTTP {StatusCode})" : $"refused (HTTP {StatusCode})";
}

/// <summary>
/// The provider could not be reached, kept failing (5xx, 408, 429), did not answer in time, its circuit is open, or it
/// refused the hub's credentials: <see cref="ExternalSystemException.Kind"/> says which.
/// </summary>
public sealed class ProviderUnavailableException(string provider, ExternalFailure kind, string reason, Exception? inner = null)
    : ExternalSystemException($"Provider {provider}", kind, reason, inner)
{
    public string Provider { get; } = provider;
}
