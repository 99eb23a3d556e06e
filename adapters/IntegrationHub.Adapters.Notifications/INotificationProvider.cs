namespace IntegrationHub.Adapters.Notifications;

public enum Channel { Sms, Email }

/// <summary>
/// Where a message stands at its provider, in the hub's terms. <see cref="Delivered"/>, <see cref="Undelivered"/>,
/// <see cref="Failed"/> and <see cref="Bounced"/> are final: a receipt never moves a message back from one.
/// </summary>
public enum DeliveryState { Queued, Sent, Delivered, Undelivered, Failed, Bounced }

/// <summary>One message to one recipient, rendered.</summary>
/// <param name="To">E.164 for SMS, an e-mail address for e-mail.</param>
/// <param name="Reference">The hub's id of this message: the idempotency key where the provider takes one, and in callbacks.</param>
public sealed record OutboundMessage(Channel Channel, string To, string Body, string? Subject, string Reference, string? TemplateRegistrationId = null);

/// <summary>The provider took the message: its id, and where it stands.</summary>
public sealed record ProviderAccepted(string ProviderMessageId, DeliveryState State);

/// <summary>A receipt: what the provider says of one of its messages now.</summary>
/// <param name="EventId">The provider's id of this event, or one made from its content, so a repeat is recognised.</param>
/// <param name="Code">The provider's status or error code (never the recipient).</param>
public sealed record DeliveryReceipt(string ProviderMessageId, DeliveryState State, string Code, string EventId, DateTimeOffset? At, string? Reference = null);

/// <summary>A provider's callback as received: raw body, content type, headers, and the URL it was posted to.</summary>
public sealed record ProviderCallback(byte[] Body, string? ContentType, IReadOnlyDictionary<string, string> Headers, Uri Url, DateTimeOffset ReceivedAt);

public abstract record ReceiptVerification
{
    public sealed record Refused(int Status, string Reason) : ReceiptVerification;

    public sealed record Verified(IReadOnlyList<DeliveryReceipt> Receipts) : ReceiptVerification;
}

/// <summary>
/// One account at one SMS or e-mail provider. <see cref="Send"/> throws <see cref="ExternalSystemException"/> when the
/// provider did not take the message: <see cref="ExternalFailure.Unavailable"/> when it surely did not (safe to send
/// through another provider), <see cref="ExternalFailure.TimedOut"/> when it may have (the outcome is unknown).
/// </summary>
public interface INotificationProvider
{
    /// <summary>The provider's name in routes and settings: <c>twilio</c>, <c>http-sms</c>, <c>sendgrid</c>, <c>smtp</c>.</summary>
    string Provider { get; }

    string Account { get; }

    Channel Channel { get; }

    /// <summary>Whether the provider calls back with receipts; without them (SMTP) <see cref="DeliveryState.Sent"/> is the last word.</summary>
    bool SendsReceipts { get; }

    Task<ProviderAccepted> Send(OutboundMessage message, CancellationToken cancellationToken = default);

    /// <summary>Verifies a receipt callback by the provider's scheme before reading it; never throws for what was received.</summary>
    ReceiptVerification Verify(ProviderCallback callback);
}

public static class DeliveryStates
{
    public static bool IsFinal(DeliveryState state) => state is DeliveryState.Delivered or DeliveryState.Undelivered or DeliveryState.Failed or DeliveryState.Bounced;

    /// <summary>Whether a receipt saying <paramref name="next"/> moves a message that is <paramref name="current"/>: forward only, never out of a final state.</summary>
    public static bool Advances(DeliveryState current, DeliveryState next) => !IsFinal(current) && (IsFinal(next) || next > current);
}
