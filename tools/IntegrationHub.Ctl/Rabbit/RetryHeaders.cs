using IntegrationHub.Hosting.Bus;

namespace IntegrationHub.Ctl.Rabbit;

/// <summary>Headers of an error-queue copy that are not carried back when the message is retried.</summary>
internal static class RetryHeaders
{
    /// <summary>Added by quorum queues on redelivery; the broker owns it.</summary>
    public const string BrokerDeliveryCount = "x-delivery-count";

    /// <summary>Added by RabbitMQ.Client 7 when publisher confirmations are tracked; the publishing client owns it.</summary>
    public const string ClientPublishSequenceNumber = "x-dotnet-pub-seq-no";

    public static bool IsRemovedOnRetry(string name) =>
        HubHeaders.IsErrorHeader(name) || name == BrokerDeliveryCount || name == ClientPublishSequenceNumber;
}
