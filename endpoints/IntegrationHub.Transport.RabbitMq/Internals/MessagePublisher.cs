using System.IO;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Rebus.Logging;
using Rebus.Messages;
using Rebus.Transport;

namespace IntegrationHub.Transport.RabbitMq.Internals;

/// <summary>
/// Publishes the messages of one committed Rebus transaction concurrently on a pooled confirm channel and
/// awaits every confirm. Nacks, returns (unroutable) and confirm timeouts become exceptions naming the destination.
/// Connection-level failures are retried (after waiting for recovery) until the publish-recovery deadline.
/// </summary>
internal sealed class MessagePublisher
{
    readonly SharedConnection _connection;
    readonly TransportSettings _settings;
    readonly ILog _log;

    public MessagePublisher(SharedConnection connection, TransportSettings settings, ILog log)
    {
        _connection = connection;
        _settings = settings;
        _log = log;
    }

    sealed class Pending
    {
        public required string Destination { get; init; }
        public required string Exchange { get; init; }
        public required string RoutingKey { get; init; }
        public required bool Mandatory { get; init; }
        public required BasicProperties Properties { get; init; }
        public required byte[] Body { get; init; }
        public string MessageId => Properties.MessageId ?? "(no message id)";
        public string DescribeDestination() => Exchange.Length == 0
            ? $"queue '{RoutingKey}'"
            : $"exchange '{Exchange}' with routing key '{RoutingKey}'";
    }

    enum Outcome { Confirmed, Transient, Fatal }

    readonly record struct Result(Pending Message, Outcome Outcome, Exception? Error);

    public async Task PublishAsync(IReadOnlyCollection<OutgoingTransportMessage> messages, CancellationToken cancellationToken = default)
    {
        if (messages.Count == 0) return;

        var pending = messages.Select(ToPending).ToList();
        var deadline = DateTime.UtcNow + _settings.PublishRecoveryTimeout;
        var attempt = 0;

        while (true)
        {
            attempt++;
            await _connection.WaitUntilOpenAsync(deadline, () => DescribeBatch("sending", pending), cancellationToken).ConfigureAwait(false);

            var connection = await _connection.GetConnectionAsync(cancellationToken).ConfigureAwait(false);
            IChannel channel;
            try
            {
                channel = await _connection.PublisherChannels.RentAsync(connection, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (IsConnectionFailure(exception) && DateTime.UtcNow < deadline)
            {
                _log.Warn("Could not open a publisher channel ({message}); waiting for the connection to recover", exception.Message);
                continue;
            }

            Result[] results;
            using var confirmTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            confirmTimeout.CancelAfter(_settings.ConfirmTimeout);
            try
            {
                if (pending.Count == 1)
                {
                    results = [await PublishOneAsync(channel, pending[0], confirmTimeout, cancellationToken).ConfigureAwait(false)];
                }
                else
                {
                    var tasks = new Task<Result>[pending.Count];
                    for (var i = 0; i < pending.Count; i++) tasks[i] = PublishOneAsync(channel, pending[i], confirmTimeout, cancellationToken);
                    results = await Task.WhenAll(tasks).ConfigureAwait(false);
                }
            }
            finally
            {
                _connection.PublisherChannels.Return(channel);
            }

            var fatal = results.Where(r => r.Outcome == Outcome.Fatal).ToList();
            if (fatal.Count > 0)
            {
                foreach (var failure in fatal) _log.Error("Send failed: {reason}", failure.Error!.Message);
                if (fatal.Count == 1) throw fatal[0].Error!;
                throw new RabbitMqTransportException(
                    $"{fatal.Count} of {results.Length} messages could not be sent: " + string.Join(" | ", fatal.Select(f => f.Error!.Message)),
                    new AggregateException(fatal.Select(f => f.Error!)));
            }

            var transient = results.Where(r => r.Outcome == Outcome.Transient).ToList();
            if (transient.Count == 0) return;

            pending = transient.Select(t => t.Message).ToList();
            if (DateTime.UtcNow >= deadline)
            {
                var error = new RabbitMqTransportException(
                    $"Gave up {DescribeBatch("sending", pending)} after {attempt} attempts within {_settings.PublishRecoveryTimeout}: {transient[0].Error!.Message}",
                    transient[0].Error);
                _log.Error(error, "Send failed");
                throw error;
            }

            _log.Warn("Connection problem while sending {count} message(s) ({message}); retrying after recovery",
                pending.Count, transient[0].Error!.Message);
        }
    }

    async Task<Result> PublishOneAsync(IChannel channel, Pending message, CancellationTokenSource timeout, CancellationToken cancellationToken)
    {
        try
        {
            await channel.BasicPublishAsync(message.Exchange, message.RoutingKey, message.Mandatory, message.Properties, message.Body, timeout.Token)
                .ConfigureAwait(false);
            return new Result(message, Outcome.Confirmed, null);
        }
        catch (PublishException exception) when (exception.IsReturn)
        {
            return Fatal(message, $"Message {message.MessageId} could not be delivered to {message.DescribeDestination()}: the broker returned it as unroutable (does the queue exist?)", exception);
        }
        catch (PublishException exception)
        {
            return Fatal(message, $"RabbitMQ refused (nack) message {message.MessageId} sent to {message.DescribeDestination()}; the queue may be full (x-overflow reject-publish) or unavailable", exception);
        }
        catch (OperationCanceledException exception) when (!cancellationToken.IsCancellationRequested && timeout.IsCancellationRequested)
        {
            return Fatal(message, $"No publisher confirm from RabbitMQ within {_settings.ConfirmTimeout} for message {message.MessageId} sent to {message.DescribeDestination()}; it may or may not have been stored", exception);
        }
        catch (OperationInterruptedException exception) when (exception.ShutdownReason?.ReplyCode is 404 or 403 or 406)
        {
            return Fatal(message, $"RabbitMQ closed the channel while sending message {message.MessageId} to {message.DescribeDestination()}: {exception.ShutdownReason.ReplyText}", exception);
        }
        catch (Exception exception) when (IsConnectionFailure(exception))
        {
            return new Result(message, Outcome.Transient, exception);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            return Fatal(message, $"Sending message {message.MessageId} to {message.DescribeDestination()} failed: {exception.Message}", exception);
        }
    }

    static Result Fatal(Pending message, string text, Exception inner) =>
        new(message, Outcome.Fatal, new RabbitMqTransportException(text, inner));

    static bool IsConnectionFailure(Exception exception) =>
        exception is AlreadyClosedException or OperationInterruptedException or IOException or ObjectDisposedException
            or System.Net.Sockets.SocketException or BrokerUnreachableException;

    Pending ToPending(OutgoingTransportMessage outgoing)
    {
        var properties = MessageMapper.ToProperties(outgoing.TransportMessage);
        var destination = outgoing.DestinationAddress;
        if (TopicAddress.TryParse(destination, out var exchange, out var topic))
        {
            // publishing an event nobody subscribes to is fine, so not mandatory
            return new Pending
            {
                Destination = destination, Exchange = exchange, RoutingKey = topic, Mandatory = false,
                Properties = properties, Body = outgoing.TransportMessage.Body,
            };
        }

        return new Pending
        {
            Destination = destination, Exchange = "", RoutingKey = destination, Mandatory = true,
            Properties = properties, Body = outgoing.TransportMessage.Body,
        };
    }

    static string DescribeBatch(string verb, IReadOnlyCollection<Pending> pending)
    {
        var destinations = pending.Select(p => p.DescribeDestination()).Distinct().Take(5).ToList();
        return $"{verb} {pending.Count} message(s) to {string.Join(", ", destinations)}{(pending.Count > 5 ? ", ..." : "")}";
    }
}
