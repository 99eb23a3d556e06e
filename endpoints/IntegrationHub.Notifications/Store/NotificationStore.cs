using IntegrationHub.Adapters.Notifications;

namespace IntegrationHub.Notifications.Store;

/// <summary>One version of a department's template.</summary>
/// <param name="RegistrationId">A registration some countries require for SMS (India's DLT template id): such a template's text changes only with a new one.</param>
/// <param name="Otp">Its messages carry one-time codes: their bodies are kept only until delivery.</param>
public sealed record TemplateRow(string Department, string Id, int Version, Channel Channel, string FallbackLanguage, IReadOnlyDictionary<string, TemplateText> Texts,
    int? MaxSmsSegments, string? RegistrationId, bool Otp, DateTimeOffset CreatedAt);

/// <summary>A department's request: how many recipients it named, how many were valid, how many have ended.</summary>
public sealed record BatchRow(string Department, string Id, Channel Channel, int Total, int Finished, DateTimeOffset CreatedAt);

/// <summary>One message to one recipient and where it stands.</summary>
public sealed record MessageRow(string Department, string BatchId, string Id, Channel Channel, string To, string State, string? Provider, string? ProviderMessageId,
    string? Code, DateTimeOffset UpdatedAt);

/// <summary>What saving a template gave: the version saved, or why it was refused.</summary>
public sealed record TemplateSaved(TemplateRow? Saved, string? Conflict);

/// <summary>
/// Templates, batches and messages. <see cref="AddBatch"/> runs in the accepting request's transaction and
/// <see cref="UpdateMessage"/>, <see cref="FinishMessage"/> in the message saga's (with PostgreSQL), so that what is
/// stored, the saga's state and the messages sent commit together; reads use connections of their own.
/// </summary>
public interface INotificationStore
{
    /// <summary>
    /// Saves the template as its next version. Refused when the latest version has a registration id and the text
    /// changes without a new one (the registered text is what the regulator approved).
    /// </summary>
    Task<TemplateSaved> SaveTemplate(TemplateRow template, CancellationToken cancellationToken);

    /// <summary>The template's version, or its latest when <paramref name="version"/> is null.</summary>
    Task<TemplateRow?> Template(string department, string id, int? version, CancellationToken cancellationToken);

    Task AddBatch(BatchRow batch, IReadOnlyList<MessageRow> messages);

    Task<BatchRow?> Batch(string department, string id, CancellationToken cancellationToken);

    /// <summary>The batch's messages (optionally in one state), and how many are in each state.</summary>
    Task<(IReadOnlyList<MessageRow> Messages, IReadOnlyDictionary<string, int> Counts)> Messages(string department, string batchId, string? state, int limit,
        CancellationToken cancellationToken);

    Task UpdateMessage(string department, string messageId, string state, string? provider, string? providerMessageId, string? code, DateTimeOffset at);

    /// <summary>How many of the batch's messages are in each state, as the handler's transaction sees them.</summary>
    Task<IReadOnlyDictionary<string, int>> CountsNow(string department, string batchId);

    /// <summary>Counts the message as ended in its batch (once); true when it was the batch's last.</summary>
    Task<bool> FinishMessage(string department, string batchId, string messageId, string state, string? code, DateTimeOffset at);
}

public static class MessageStates
{
    public const string Queued = "queued";
    public const string Sending = "sending";
    public const string Sent = "sent";
    public const string Delivered = "delivered";
    public const string Undelivered = "undelivered";
    public const string Failed = "failed";
    public const string Bounced = "bounced";
    public const string Expired = "expired";
    /// <summary>A provider may or may not have taken it (it timed out after the request): never sent again, unless the department allows a possible duplicate for critical messages.</summary>
    public const string Unknown = "unknown";

    public static readonly string[] All = [Queued, Sending, Sent, Delivered, Undelivered, Failed, Bounced, Expired, Unknown];

    public static string Of(DeliveryState state) => state switch
    {
        DeliveryState.Queued => Queued,
        DeliveryState.Sent => Sent,
        DeliveryState.Delivered => Delivered,
        DeliveryState.Undelivered => Undelivered,
        DeliveryState.Failed => Failed,
        _ => Bounced,
    };
}
