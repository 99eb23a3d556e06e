namespace IntegrationHub.Transport.RabbitMq.Internals;

internal sealed record TransportSettings(
    string ConnectionString,
    string? InputQueueName,
    RabbitMqQueueType QueueType,
    ushort Prefetch,
    string EventsExchange,
    string ClientName,
    TimeSpan PublishRecoveryTimeout)
{
    /// <summary>How long a publish waits for the broker's confirm before it is reported as failed.</summary>
    public TimeSpan ConfirmTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one Receive call waits for a delivery before returning null.</summary>
    public TimeSpan ReceiveWait { get; init; } = TimeSpan.FromSeconds(1);
}
