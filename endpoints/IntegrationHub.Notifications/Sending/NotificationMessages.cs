namespace IntegrationHub.Notifications.Sending;

// The message saga's own messages, beside it.

/// <summary>A department's accepted request, rendered: its batch and messages are recorded and each message started.</summary>
public sealed record AcceptNotificationBatch(string BatchId, string Department, string Channel, bool Critical, string? RegistrationId,
    IReadOnlyList<RenderedMessage> Messages, DateTimeOffset At);

public sealed record RenderedMessage(string Id, string To, string Body, string? Subject);

/// <summary>Send one rendered message to one recipient (one per valid recipient of a request).</summary>
/// <param name="Critical">Priority <c>critical</c>: with the department's consent, an unknown outcome is sent again through the next provider.</param>
public sealed record SendNotification(string MessageId, string BatchId, string Department, string Channel, string To, string Body, string? Subject, bool Critical,
    string? RegistrationId);

/// <summary>Try provider account <paramref name="Account"/> (attempt <paramref name="Attempt"/> of the message).</summary>
public sealed record CallNotificationProvider(string MessageId, string Account, int Attempt, string Channel, string To, string Body, string? Subject,
    string? RegistrationId);

/// <summary>What the provider said: <c>accepted</c> (with its id and state), <c>unavailable</c> (surely not taken), <c>unknown</c> (maybe taken), <c>invalid</c>.</summary>
public sealed record NotificationProviderAnswered(string MessageId, string Account, int Attempt, string Outcome, string? ProviderMessageId, string? State, string Code,
    bool SendsReceipts);

/// <summary>A verified receipt for the hub's message <paramref name="MessageId"/> from provider account <paramref name="Account"/>.</summary>
public sealed record NotificationReceiptReceived(string MessageId, string Account, string ProviderMessageId, string State, string Code, string EventId);

public sealed record NotificationReceiptTimedOut(string MessageId);
