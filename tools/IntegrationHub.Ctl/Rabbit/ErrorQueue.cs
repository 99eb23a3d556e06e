using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace IntegrationHub.Ctl.Rabbit;

public sealed record ErrorQueueListing(string Queue, long Total, IReadOnlyList<FailedMessage> Messages);

public enum RetryStatus
{
    Moved,
    NotFound,
    NoSourceQueue,
    SourceQueueMissing,
    NotConfirmed,
}

public sealed record RetryOutcome(string MessageId, string? SourceQueue, RetryStatus Status, string? Reason)
{
    public bool Moved => Status == RetryStatus.Moved;
}

/// <summary>
/// Reads and retries messages in the hub's error queue. Reading never removes anything: messages are
/// fetched with <c>basic.get</c> without auto-ack and handed back (nack + requeue, then channel close)
/// when the operation ends. Only a message that the broker confirmed in its source queue is acked.
/// </summary>
public sealed class ErrorQueue : IAsyncDisposable
{
    public const string DefaultQueueName = "hub.error";

    private readonly IConnection _connection;
    private readonly bool _ownsConnection;

    private ErrorQueue(IConnection connection, bool ownsConnection, string queueName, string brokerDisplay)
    {
        _connection = connection;
        _ownsConnection = ownsConnection;
        QueueName = queueName;
        BrokerDisplay = brokerDisplay;
    }

    public string QueueName { get; }

    /// <summary>The broker URI without credentials, for messages.</summary>
    public string BrokerDisplay { get; }

    /// <summary>Connects and checks that the error queue exists.</summary>
    public static async Task<ErrorQueue> ConnectAsync(string amqpUri, string queueName = DefaultQueueName,
        CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(queueName))
        {
            throw new HubCtlException("the error queue name must not be empty", ExitCodes.Failed);
        }

        var connection = await BrokerConnection.OpenAsync(amqpUri, cancellationToken).ConfigureAwait(false);
        var queue = new ErrorQueue(connection, ownsConnection: true, queueName, BrokerConnection.Redact(amqpUri));
        try
        {
            await queue.CountAsync(cancellationToken).ConfigureAwait(false);
            return queue;
        }
        catch (OperationInterruptedException e)
        {
            // RabbitMQ.Client 7 reports a refused connection.open (e.g. unknown vhost) only on first use.
            await queue.DisposeAsync().ConfigureAwait(false);
            var reason = e.ShutdownReason is { } r ? $"{r.ReplyText} (code {r.ReplyCode})" : e.Message;
            throw new HubCtlException($"cannot connect to RabbitMQ at {queue.BrokerDisplay}: {reason}", ExitCodes.Unavailable, e);
        }
        catch
        {
            await queue.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Number of ready messages in the error queue.</summary>
    public async Task<long> CountAsync(CancellationToken cancellationToken = default)
    {
        var (count, problem) = await InspectQueueAsync(QueueName, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            throw new HubCtlException($"error queue '{QueueName}' {problem} on {BrokerDisplay}", ExitCodes.Unavailable);
        }
        return count;
    }

    /// <summary>Up to <paramref name="limit"/> messages from the head of the queue, left in place.</summary>
    public async Task<ErrorQueueListing> ListAsync(int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var messages = new List<FailedMessage>();
        var scanned = await ScanSnapshotAsync(confirms: false, (_, fetched) =>
        {
            if (messages.Count < limit)
            {
                messages.Add(fetched.Message);
            }
            return Task.CompletedTask;
        }, cancellationToken).ConfigureAwait(false);
        return new ErrorQueueListing(QueueName, scanned, messages);
    }

    /// <summary>The first message with the given id, left in place; null if there is none.</summary>
    public async Task<FailedMessage?> GetAsync(string messageId, CancellationToken cancellationToken = default)
    {
        FailedMessage? found = null;
        await ScanSnapshotAsync(confirms: false, (_, fetched) =>
        {
            if (found is null && fetched.Message.MessageId == messageId)
            {
                found = fetched.Message;
            }
            return Task.CompletedTask;
        }, cancellationToken).ConfigureAwait(false);
        return found;
    }

    /// <summary>Returns the first message with the given id to its source queue.</summary>
    public async Task<RetryOutcome> RetryAsync(string messageId, CancellationToken cancellationToken = default)
    {
        var missingQueues = new Dictionary<string, string>(StringComparer.Ordinal);
        RetryOutcome? outcome = null;
        await ScanSnapshotAsync(confirms: true, async (scan, fetched) =>
        {
            if (outcome is null && fetched.Message.MessageId == messageId)
            {
                outcome = await MoveAsync(scan, fetched, missingQueues, cancellationToken).ConfigureAwait(false);
            }
        }, cancellationToken).ConfigureAwait(false);
        return outcome ?? new RetryOutcome(messageId, null, RetryStatus.NotFound,
            $"no message with id '{messageId}' in '{QueueName}'");
    }

    /// <summary>
    /// Returns every message that was in the queue when the call started to its source queue. Messages that
    /// fail again while this runs are appended behind that snapshot and are not picked up a second time.
    /// </summary>
    public async Task<IReadOnlyList<RetryOutcome>> RetryAllAsync(CancellationToken cancellationToken = default)
    {
        var missingQueues = new Dictionary<string, string>(StringComparer.Ordinal);
        var outcomes = new List<RetryOutcome>();
        await ScanSnapshotAsync(confirms: true, async (scan, fetched) =>
            outcomes.Add(await MoveAsync(scan, fetched, missingQueues, cancellationToken).ConfigureAwait(false)),
            cancellationToken).ConfigureAwait(false);
        return outcomes;
    }

    /// <summary>
    /// Fetches every message that is in the queue now (bounded by the current ready count, so messages that
    /// arrive meanwhile are not visited), holding each unacked, and requeues the ones not acked in a single
    /// step at the end. Walking the whole snapshot keeps the queue order: a quorum queue puts requeued
    /// messages at its tail, so requeueing only a prefix would rotate it.
    /// </summary>
    private async Task<long> ScanSnapshotAsync(bool confirms, Func<Scan, Fetched, Task> onMessage,
        CancellationToken cancellationToken)
    {
        var bound = await CountAsync(cancellationToken).ConfigureAwait(false);
        long scanned = 0;
        await using var scan = await Scan.OpenAsync(_connection, QueueName, confirms, cancellationToken).ConfigureAwait(false);
        while (scanned < bound)
        {
            var fetched = await scan.NextAsync(cancellationToken).ConfigureAwait(false);
            if (fetched is null)
            {
                break;
            }
            scanned++;
            await onMessage(scan, fetched).ConfigureAwait(false);
        }
        return scanned;
    }

    private async Task<RetryOutcome> MoveAsync(Scan scan, Fetched fetched, Dictionary<string, string> missingQueues,
        CancellationToken cancellationToken)
    {
        var message = fetched.Message;
        var source = message.SourceQueue;
        if (string.IsNullOrWhiteSpace(source))
        {
            return new RetryOutcome(message.MessageId, null, RetryStatus.NoSourceQueue,
                $"the message has no '{Rebus.Messages.Headers.SourceQueue}' header, so its source queue is unknown; it stays in '{QueueName}'");
        }

        // Existence is decided by the broker itself: the default exchange routes to a queue of that name or
        // nowhere, and with mandatory set an unroutable message comes back instead of being dropped. (A passive
        // declare would cost a channel per missing queue.) A queue found missing is not tried again in this run.
        if (missingQueues.TryGetValue(source, out var knownProblem))
        {
            return Missing(knownProblem);
        }

        var properties = new BasicProperties(fetched.Properties);
        if (fetched.Properties.Headers is { } headers)
        {
            var kept = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var (key, value) in headers)
            {
                if (!RetryHeaders.IsRemovedOnRetry(key))
                {
                    kept[key] = value;
                }
            }
            properties.Headers = kept;
        }

        try
        {
            // Publisher confirmation tracking makes this wait for the broker's ack; mandatory makes an
            // unroutable message come back as PublishReturnException instead of being dropped.
            await scan.Channel.BasicPublishAsync(exchange: string.Empty, routingKey: source, mandatory: true,
                basicProperties: properties, body: fetched.Body, cancellationToken).ConfigureAwait(false);
        }
        catch (PublishReturnException e)
        {
            var problem = $"does not exist (the broker returned the message: {e.ReplyCode} {e.ReplyText})";
            missingQueues[source] = problem;
            return Missing(problem);
        }
        catch (PublishException)
        {
            return new RetryOutcome(message.MessageId, source, RetryStatus.NotConfirmed,
                $"the broker refused the message for '{source}' (publisher confirm nack, e.g. queue length limit); the message stays in '{QueueName}'");
        }

        await scan.AckAsync(fetched.DeliveryTag, cancellationToken).ConfigureAwait(false);
        return new RetryOutcome(message.MessageId, source, RetryStatus.Moved, null);

        RetryOutcome Missing(string problem) => new(message.MessageId, source, RetryStatus.SourceQueueMissing,
            $"source queue '{source}' {problem}; the message stays in '{QueueName}'");
    }

    /// <summary>Ready-message count of a queue, or why it cannot be used (null problem = usable).</summary>
    private async Task<(long Count, string? Problem)> InspectQueueAsync(string queue, CancellationToken cancellationToken)
    {
        // A failed passive declare closes the channel, so use a throwaway one.
        var channel = await _connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            var ok = await channel.QueueDeclarePassiveAsync(queue, cancellationToken).ConfigureAwait(false);
            return (ok.MessageCount, null);
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            return (0, "does not exist");
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 405)
        {
            // Exclusive queue of another connection: it exists and the default exchange can still route to it.
            return (0, null);
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 403)
        {
            return (0, $"is not accessible ({e.ShutdownReason.ReplyText})");
        }
        finally
        {
            await channel.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_ownsConnection)
        {
            try
            {
                await _connection.CloseAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            }
            catch (Exception e) when (e is AlreadyClosedException or OperationInterruptedException or IOException or TimeoutException or OperationCanceledException)
            {
                // Closing is best effort; unacked messages return to the queue either way.
            }
            _connection.Dispose();
        }
    }

    private sealed record Fetched(ulong DeliveryTag, IReadOnlyBasicProperties Properties, ReadOnlyMemory<byte> Body,
        FailedMessage Message);

    /// <summary>
    /// One pass over the queue on one channel. Fetched messages stay unacked (so the next basic.get returns
    /// the next message); whatever was not acked is requeued when the scan is disposed.
    /// </summary>
    private sealed class Scan : IAsyncDisposable
    {
        private readonly string _queue;
        private readonly SortedSet<ulong> _unacked = [];

        private Scan(IChannel channel, string queue)
        {
            Channel = channel;
            _queue = queue;
        }

        public IChannel Channel { get; }

        public static async Task<Scan> OpenAsync(IConnection connection, string queue, bool confirms, CancellationToken cancellationToken)
        {
            var options = new CreateChannelOptions(
                publisherConfirmationsEnabled: confirms,
                publisherConfirmationTrackingEnabled: confirms);
            var channel = await connection.CreateChannelAsync(options, cancellationToken).ConfigureAwait(false);
            return new Scan(channel, queue);
        }

        public async Task<Fetched?> NextAsync(CancellationToken cancellationToken)
        {
            var result = await Channel.BasicGetAsync(_queue, autoAck: false, cancellationToken).ConfigureAwait(false);
            if (result is null)
            {
                return null;
            }

            _unacked.Add(result.DeliveryTag);
            var body = result.Body.ToArray();
            var message = FailedMessage.From(result.BasicProperties, body, result.Redelivered);
            return new Fetched(result.DeliveryTag, result.BasicProperties, body, message);
        }

        public async Task AckAsync(ulong deliveryTag, CancellationToken cancellationToken)
        {
            await Channel.BasicAckAsync(deliveryTag, multiple: false, cancellationToken).ConfigureAwait(false);
            _unacked.Remove(deliveryTag);
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                if (_unacked.Count > 0 && Channel.IsOpen)
                {
                    // Hand back everything still held, in one go and in order; closing the channel would do the
                    // same. The tag must be one still unacked: naming an acked tag, even with multiple, makes
                    // the broker close the channel with PRECONDITION_FAILED (unknown delivery tag).
                    await Channel.BasicNackAsync(_unacked.Max, multiple: true, requeue: true).ConfigureAwait(false);
                }
                if (Channel.IsOpen)
                {
                    await Channel.CloseAsync().ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is AlreadyClosedException or OperationInterruptedException or IOException or TimeoutException or OperationCanceledException)
            {
                // The broker requeues unacked messages when the channel goes away.
            }
            finally
            {
                await Channel.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
