namespace IntegrationHub.Webhooks.Storage;

public static class WebhookStatus
{
    public const string Pending = "pending";
    public const string Delivered = "delivered";
    public const string Dead = "dead";
    public const string NoCallbackRegistered = "no-callback-registered";

    public static readonly IReadOnlyList<string> All = [Pending, Delivered, Dead, NoCallbackRegistered];
}

/// <summary>
/// One webhook: what is sent (<see cref="Payload"/>, the exact body; signed afresh on each attempt), where, and how
/// it went. A replay starts a new <see cref="Round"/> of attempts with the same id.
/// </summary>
public sealed record WebhookDelivery(
    string Id,
    string Department,
    string Subject,
    string EventType,
    Uri? Url,
    string Status,
    int Attempts,
    int Round,
    int RoundAttempts,
    DateTimeOffset CreatedAt,
    DateTimeOffset? LastAttemptAt,
    int? LastStatusCode,
    string? LastError,
    DateTimeOffset? NextAttemptAt,
    DateTimeOffset? DeliveredAt,
    string Payload);

public sealed record WebhookAttempt(
    string DeliveryId,
    int Attempt,
    int Round,
    DateTimeOffset AttemptedAt,
    int? StatusCode,
    string? Error,
    TimeSpan Duration);
