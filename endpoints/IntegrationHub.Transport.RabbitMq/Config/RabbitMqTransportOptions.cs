using IntegrationHub.Transport.RabbitMq.Internals;

namespace IntegrationHub.Transport.RabbitMq;

/// <summary>Type of queue the transport declares for input queues and for queues created through <c>CreateQueue</c>.</summary>
public enum RabbitMqQueueType
{
    /// <summary>Replicated, durable quorum queue (default). Tracks redeliveries in <c>x-delivery-count</c>.</summary>
    Quorum,

    /// <summary>Classic durable queue.</summary>
    Classic,
}

/// <summary>
/// Fluent options for the hub's RabbitMQ transport. Returned by <c>UseHubRabbitMq</c> /
/// <c>UseHubRabbitMqAsOneWayClient</c>; values are read when the bus starts.
/// </summary>
public sealed class RabbitMqTransportOptions
{
    internal RabbitMqTransportOptions(string? inputQueueName)
    {
        ClientNameValue = $"hub:{inputQueueName ?? "client"}:{Environment.MachineName}";
    }

    internal RabbitMqQueueType QueueTypeValue { get; private set; } = RabbitMqQueueType.Quorum;
    internal ushort PrefetchValue { get; private set; } = 100;
    internal string EventsExchangeValue { get; private set; } = "hub.events";
    internal string ClientNameValue { get; private set; }
    internal TimeSpan PublishRecoveryTimeoutValue { get; private set; } = TimeSpan.FromSeconds(30);

    /// <summary>Queue type for declared queues (default <see cref="RabbitMqQueueType.Quorum"/>).</summary>
    public RabbitMqTransportOptions QueueType(RabbitMqQueueType queueType)
    {
        if (!Enum.IsDefined(queueType)) throw new ArgumentOutOfRangeException(nameof(queueType), queueType, "Unknown queue type");
        QueueTypeValue = queueType;
        return this;
    }

    /// <summary>Maximum number of unacknowledged deliveries on the consumer channel (default 100).</summary>
    public RabbitMqTransportOptions Prefetch(ushort prefetch)
    {
        if (prefetch == 0) throw new ArgumentOutOfRangeException(nameof(prefetch), prefetch, "Prefetch must be at least 1 (0 would mean unlimited)");
        PrefetchValue = prefetch;
        return this;
    }

    /// <summary>Name of the durable topic exchange used for publish/subscribe (default "hub.events").</summary>
    public RabbitMqTransportOptions EventsExchange(string exchangeName)
    {
        if (string.IsNullOrWhiteSpace(exchangeName)) throw new ArgumentException("Exchange name must not be empty", nameof(exchangeName));
        EventsExchangeValue = exchangeName;
        return this;
    }

    /// <summary>Connection name shown in the management UI (default "hub:&lt;input queue or 'client'&gt;:&lt;machine&gt;").</summary>
    public RabbitMqTransportOptions ClientName(string clientName)
    {
        if (string.IsNullOrWhiteSpace(clientName)) throw new ArgumentException("Client name must not be empty", nameof(clientName));
        ClientNameValue = clientName;
        return this;
    }

    /// <summary>How long a send waits for a recovering connection before it fails (default 30 s).</summary>
    public RabbitMqTransportOptions PublishRecoveryTimeout(TimeSpan timeout)
    {
        if (timeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "Timeout must be positive");
        PublishRecoveryTimeoutValue = timeout;
        return this;
    }

    internal TransportSettings ToSettings(string connectionString, string? inputQueueName) => new(
        ConnectionString: connectionString,
        InputQueueName: inputQueueName,
        QueueType: QueueTypeValue,
        Prefetch: PrefetchValue,
        EventsExchange: EventsExchangeValue,
        ClientName: ClientNameValue,
        PublishRecoveryTimeout: PublishRecoveryTimeoutValue);
}
