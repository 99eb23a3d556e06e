using Rebus.Bus;
using Rebus.Logging;
using Rebus.Messages;
using Rebus.Subscriptions;
using Rebus.Transport;

namespace IntegrationHub.Transport.RabbitMq.Internals;

/// <summary>
/// Rebus transport on RabbitMQ.Client 7. Outgoing messages are collected by <see cref="AbstractRebusTransport"/>
/// and published (with confirms) only when the transaction commits; received messages are acked after commit and
/// nacked (requeued) on rollback. Also acts as centralized subscription storage backed by topic-exchange bindings.
/// </summary>
internal sealed class RabbitMqTransport : AbstractRebusTransport, IInitializable, IDisposable, ISubscriptionStorage
{
    readonly TransportSettings _settings;
    readonly ILog _log;
    readonly ConnectionLease _lease;
    readonly Topology _topology;
    readonly MessagePublisher _publisher;
    readonly QueueConsumer? _consumer;
    readonly object _initLock = new();
    bool _initialized;
    int _disposed;

    public RabbitMqTransport(TransportSettings settings, IRebusLoggerFactory loggerFactory) : base(settings.InputQueueName)
    {
        _settings = settings;
        _log = loggerFactory.GetLogger<RabbitMqTransport>();
        _lease = SharedConnection.Acquire(settings.ConnectionString, settings.ClientName, loggerFactory);
        _topology = new Topology(_lease.Connection, settings);
        _publisher = new MessagePublisher(_lease.Connection, settings, _log);
        if (settings.InputQueueName != null)
        {
            _consumer = new QueueConsumer(_lease.Connection, _topology, settings, settings.InputQueueName, _log);
        }
    }

    internal SharedConnection Connection => _lease.Connection;

    internal QueueConsumer? Consumer => _consumer;

    public void Initialize() => RunSync(InitializeAsync);

    internal async Task InitializeAsync()
    {
        lock (_initLock)
        {
            if (_initialized) return;
            _initialized = true;
        }
        await _lease.Connection.GetConnectionAsync().ConfigureAwait(false);
        await _topology.DeclareEventsExchangeAsync().ConfigureAwait(false);
        if (_consumer != null)
        {
            await _topology.DeclareQueueAsync(_settings.InputQueueName!).ConfigureAwait(false);
            await _consumer.StartAsync().ConfigureAwait(false);
            _log.Info("Consuming from queue {queue} (prefetch {prefetch})", _settings.InputQueueName, _settings.Prefetch);
        }
    }

    public override void CreateQueue(string address)
    {
        if (TopicAddress.TryParse(address, out _, out _)) return;
        RunSync(() => _topology.DeclareQueueAsync(address));
    }

    protected override async Task SendOutgoingMessages(IEnumerable<OutgoingTransportMessage> outgoingMessages, ITransactionContext context)
    {
        var messages = outgoingMessages as IReadOnlyCollection<OutgoingTransportMessage> ?? outgoingMessages.ToList();
        await _publisher.PublishAsync(messages).ConfigureAwait(false);
    }

    public override async Task<TransportMessage?> Receive(ITransactionContext context, CancellationToken cancellationToken)
    {
        if (_consumer == null)
        {
            throw new InvalidOperationException("This RabbitMQ transport is a one-way client without an input queue; it cannot receive");
        }

        var delivery = await _consumer.ReceiveAsync(cancellationToken).ConfigureAwait(false);
        if (delivery == null) return null;

        context.OnAck(_ => _consumer.AckAsync(delivery));
        context.OnNack(_ => _consumer.NackAsync(delivery));
        return delivery.Message;
    }

    // ---- ISubscriptionStorage: native publish/subscribe through the events topic exchange ----

    public bool IsCentralized => true;

    public Task<IReadOnlyList<string>> GetSubscriberAddresses(string topic) =>
        Task.FromResult<IReadOnlyList<string>>(new[] { TopicAddress.Format(_settings.EventsExchange, topic) });

    public async Task RegisterSubscriber(string topic, string subscriberAddress)
    {
        await _topology.BindAsync(subscriberAddress, topic).ConfigureAwait(false);
        _log.Info("Bound queue {queue} to exchange {exchange} with routing key {topic}", subscriberAddress, _settings.EventsExchange, topic);
    }

    public async Task UnregisterSubscriber(string topic, string subscriberAddress)
    {
        await _topology.UnbindAsync(subscriberAddress, topic).ConfigureAwait(false);
        _log.Info("Unbound queue {queue} from exchange {exchange} (routing key {topic})", subscriberAddress, _settings.EventsExchange, topic);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        try
        {
            if (_consumer != null) RunSync(() => _consumer.DisposeAsync().AsTask());
        }
        catch (Exception exception)
        {
            _log.Warn(exception, "Error while stopping the consumer of queue {queue}", _settings.InputQueueName ?? "");
        }
        finally
        {
            _lease.Dispose();
        }
    }

    static void RunSync(Func<Task> action) => Task.Run(action).GetAwaiter().GetResult();
}
