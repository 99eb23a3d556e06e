using System.Threading.Channels;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Rebus.Logging;
using Rebus.Messages;
using Headers = Rebus.Messages.Headers;

namespace IntegrationHub.Transport.RabbitMq.Internals;

/// <summary>A delivery handed to Rebus: remembers the channel's acks (and its generation) it came from, for ack/nack.</summary>
internal sealed record Delivery(DeliveryAcks Acks, ulong DeliveryTag, long Generation, TransportMessage Message);

/// <summary>
/// Dedicated consumer channel (BasicQos = prefetch) with an async consumer that pushes deliveries into a bounded
/// in-memory channel read by <see cref="ReceiveAsync"/>. Channel-level closures (not covered by automatic recovery)
/// are repaired by re-creating the channel and consumer.
/// </summary>
internal sealed class QueueConsumer : IAsyncDisposable
{
    readonly SharedConnection _connection;
    readonly Topology _topology;
    readonly TransportSettings _settings;
    readonly string _queueName;
    readonly ILog _log;
    readonly Channel<Delivery> _buffer;
    readonly SemaphoreSlim _channelLock = new(1, 1);

    IChannel? _channel;
    volatile DeliveryAcks? _acks;
    string? _consumerTag;
    long _generation;
    volatile bool _needsNewChannel;
    volatile bool _disposed;
    DateTime _nextRepairAttemptUtc = DateTime.MinValue;

    public QueueConsumer(SharedConnection connection, Topology topology, TransportSettings settings, string queueName, ILog log)
    {
        _connection = connection;
        _topology = topology;
        _settings = settings;
        _queueName = queueName;
        _log = log;
        _buffer = Channel.CreateBounded<Delivery>(new BoundedChannelOptions(settings.Prefetch)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = false,
            SingleWriter = false,
        });
    }

    /// <summary>Incremented whenever the consumer channel shuts down: deliveries of an older generation were requeued by the broker.</summary>
    internal long Generation => Interlocked.Read(ref _generation);

    internal IChannel? CurrentChannel => _channel;

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _channelLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await StartChannelAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _channelLock.Release();
        }
    }

    async Task StartChannelAsync(CancellationToken cancellationToken)
    {
        var connection = await _connection.GetConnectionAsync(cancellationToken).ConfigureAwait(false);
        var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            await channel.BasicQosAsync(0, _settings.Prefetch, global: false, cancellationToken).ConfigureAwait(false);
            channel.ChannelShutdownAsync += OnChannelShutdown;

            var consumer = new AsyncEventingBasicConsumer(channel);
            consumer.ReceivedAsync += OnReceived;
            consumer.UnregisteredAsync += OnUnregistered;

            _consumerTag = await channel.BasicConsumeAsync(_queueName, autoAck: false, consumer, cancellationToken).ConfigureAwait(false);
            _channel = channel;
            _needsNewChannel = false;
        }
        catch
        {
            channel.ChannelShutdownAsync -= OnChannelShutdown;
            await channel.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    async Task OnReceived(object sender, BasicDeliverEventArgs args)
    {
        var channel = ((AsyncEventingBasicConsumer)sender).Channel;
        // the body buffer is only valid during this callback: MessageMapper copies it
        var message = MessageMapper.ToTransportMessage(args.BasicProperties, args.Body, args.Redelivered);
        var acks = _acks;
        // deliveries on a channel arrive one at a time and in tag order: the first one seen starts the acks' count
        if (acks is null || acks.Channel != channel) _acks = acks = new DeliveryAcks(channel, args.DeliveryTag, _log, _queueName);
        var delivery = new Delivery(acks, args.DeliveryTag, Generation, message);
        try
        {
            await _buffer.Writer.WriteAsync(delivery, args.CancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is ChannelClosedException or OperationCanceledException)
        {
            // shutting down: the unacked delivery is requeued by the broker when the channel closes
        }
    }

    Task OnUnregistered(object sender, ConsumerEventArgs args)
    {
        if (!_disposed && _connection.IsOpen)
        {
            _log.Error("The broker cancelled the consumer of queue {queue} (was the queue deleted?); re-declaring and consuming again", _queueName);
            _needsNewChannel = true;
        }
        return Task.CompletedTask;
    }

    Task OnChannelShutdown(object sender, ShutdownEventArgs args)
    {
        Interlocked.Increment(ref _generation);
        _acks = null;
        if (_disposed || args.Initiator == ShutdownInitiator.Application) return Task.CompletedTask;

        if (_connection.IsOpen)
        {
            // channel-level error while the connection lives on: automatic recovery will not bring it back
            _log.Warn("Consumer channel for queue {queue} was closed by the broker ({code} {text}); it will be re-created",
                _queueName, args.ReplyCode, args.ReplyText);
            _needsNewChannel = true;
        }
        return Task.CompletedTask;
    }

    public async ValueTask<Delivery?> ReceiveAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_needsNewChannel) await RepairAsync(cancellationToken).ConfigureAwait(false);

            if (!_buffer.Reader.TryRead(out var delivery))
            {
                if (cancellationToken.IsCancellationRequested || _disposed) return null;
                if (_settings.ReceiveWait <= TimeSpan.Zero) return null;

                using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                wait.CancelAfter(_settings.ReceiveWait);
                try
                {
                    if (Thread.CurrentThread.IsThreadPoolThread)
                    {
                        // ReadAsync hands each delivery to exactly one waiting receiver
                        delivery = await _buffer.Reader.ReadAsync(wait.Token).ConfigureAwait(false);
                    }
                    else
                    {
                        // Rebus's dedicated worker thread: wait on it synchronously, so that a delivery is returned
                        // synchronously and the worker keeps its parallel-operation slots for handlers instead of
                        // parking them in pending receives (which makes the worker sleep through its back-off)
                        if (!_buffer.Reader.WaitToReadAsync(wait.Token).AsTask().GetAwaiter().GetResult()) return null;
                        continue;
                    }
                }
                catch (Exception exception) when (exception is OperationCanceledException or ChannelClosedException)
                {
                    return null;
                }
            }

            // deliveries from a channel that has shut down since were requeued by the broker: skip the stale copy
            if (delivery.Generation == Generation) return delivery;
        }
    }

    async Task RepairAsync(CancellationToken cancellationToken)
    {
        if (DateTime.UtcNow < _nextRepairAttemptUtc || !_connection.IsOpen) return;
        if (!await _channelLock.WaitAsync(0, cancellationToken).ConfigureAwait(false)) return;
        try
        {
            if (!_needsNewChannel || _disposed) return;
            var old = _channel;
            _channel = null;
            if (old != null)
            {
                old.ChannelShutdownAsync -= OnChannelShutdown;
                try { await old.DisposeAsync().ConfigureAwait(false); } catch (Exception) { /* already closed */ }
            }
            await _topology.DeclareQueueAsync(_queueName, cancellationToken).ConfigureAwait(false);
            await StartChannelAsync(cancellationToken).ConfigureAwait(false);
            _log.Info("Consumer of queue {queue} re-created", _queueName);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            _nextRepairAttemptUtc = DateTime.UtcNow.AddSeconds(2);
            _log.Error(exception, "Could not re-create the consumer of queue {queue}; will retry", _queueName);
        }
        finally
        {
            _channelLock.Release();
        }
    }

    public Task AckAsync(Delivery delivery) => SettleAsync(delivery, ack: true);

    public Task NackAsync(Delivery delivery) => SettleAsync(delivery, ack: false);

    async Task SettleAsync(Delivery delivery, bool ack)
    {
        var channel = delivery.Acks.Channel;
        if (delivery.Generation != Generation || !channel.IsOpen)
        {
            // the broker has already requeued it when the channel/connection went down; it will be redelivered
            _log.Warn("Could not {operation} message {messageId} from queue {queue}: its channel was closed since it was received; the broker will redeliver it",
                ack ? "ack" : "nack", delivery.Message.Headers.GetValueOrDefault(Headers.MessageId) ?? "?", _queueName);
            return;
        }
        try
        {
            if (ack) delivery.Acks.Ack(delivery.DeliveryTag);   // written by the acks' flush, coalesced with others
            else await delivery.Acks.NackAsync(delivery.DeliveryTag).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            _log.Warn("Could not {operation} message {messageId} from queue {queue} ({error}); the broker will redeliver it",
                ack ? "ack" : "nack", delivery.Message.Headers.GetValueOrDefault(Headers.MessageId) ?? "?", _queueName, exception.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        await _channelLock.WaitAsync().ConfigureAwait(false);
        try
        {
            var channel = _channel;
            _channel = null;
            _buffer.Writer.TryComplete();
            if (channel == null) return;
            channel.ChannelShutdownAsync -= OnChannelShutdown;
            try
            {
                // acks handed over by handlers that finished must reach the broker, or it redelivers those messages
                if (_acks is { } acks) await acks.DrainAsync().ConfigureAwait(false);
                if (channel.IsOpen && _consumerTag != null)
                {
                    await channel.BasicCancelAsync(_consumerTag).ConfigureAwait(false);
                }
                // closing the channel makes the broker requeue every delivery not acked yet (including buffered ones)
                if (channel.IsOpen) await channel.CloseAsync().ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                _log.Debug("Ignoring error while closing consumer channel of {queue}: {message}", _queueName, exception.Message);
            }
            await channel.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            _channelLock.Release();
        }
    }
}
