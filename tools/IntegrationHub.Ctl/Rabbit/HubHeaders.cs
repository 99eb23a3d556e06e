namespace IntegrationHub.Ctl.Rabbit;

/// <summary>Header names fixed by the hub (Rebus conventions plus the hub's own error headers).</summary>
public static class HubHeaders
{
    public const string MessageId = "rbs2-msg-id";
    public const string Type = "rbs2-msg-type";
    public const string CorrelationId = "rbs2-corr-id";
    public const string SourceQueue = "rbs2-source-queue";
    public const string ErrorDetails = "rbs2-error-details";
    public const string ErrorPrefix = "hub-error-";
    public const string ErrorType = "hub-error-type";
    public const string ErrorMessage = "hub-error-message";
    public const string ErrorAttempts = "hub-error-attempts";
    public const string ErrorFailedAt = "hub-error-failed-at";
    public const string DelayedRetries = "hub-delayed-retries";
    public const string Tenant = "hub-tenant";
    public const string CausationId = "hub-causation-id";
    public const string SendingEndpoint = "hub-sending-endpoint";

    /// <summary>Added by quorum queues on redelivery; the broker owns it, so it is not carried back either.</summary>
    public const string BrokerDeliveryCount = "x-delivery-count";

    /// <summary>Added by RabbitMQ.Client 7 when publisher confirmations are tracked; the publishing client owns it.</summary>
    public const string ClientPublishSequenceNumber = "x-dotnet-pub-seq-no";

    /// <summary>True for the hub's error headers, which are removed before a message is returned to its source queue.</summary>
    public static bool IsErrorHeader(string name) =>
        name == ErrorDetails
        || name == SourceQueue
        || name == DelayedRetries
        || name.StartsWith(ErrorPrefix, StringComparison.Ordinal);

    /// <summary>Error headers plus the broker/client bookkeeping headers of the error-queue copy.</summary>
    public static bool IsRemovedOnRetry(string name) =>
        IsErrorHeader(name) || name == BrokerDeliveryCount || name == ClientPublishSequenceNumber;
}
