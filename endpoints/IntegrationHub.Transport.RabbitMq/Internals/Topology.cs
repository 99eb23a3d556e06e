using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace IntegrationHub.Transport.RabbitMq.Internals;

/// <summary>Declares queues, the events exchange and bindings, each on a short-lived channel (a failed declare closes its channel).</summary>
internal sealed class Topology
{
    readonly SharedConnection _connection;
    readonly TransportSettings _settings;

    public Topology(SharedConnection connection, TransportSettings settings)
    {
        _connection = connection;
        _settings = settings;
    }

    public Dictionary<string, object?> QueueArguments() => new()
    {
        ["x-queue-type"] = _settings.QueueType == RabbitMqQueueType.Quorum ? "quorum" : "classic",
    };

    string DescribeDeclaration() =>
        $"durable, x-queue-type={(_settings.QueueType == RabbitMqQueueType.Quorum ? "quorum" : "classic")}";

    public async Task DeclareQueueAsync(string queueName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(queueName);
        try
        {
            await WithChannelAsync(channel => channel.QueueDeclareAsync(
                queue: queueName, durable: true, exclusive: false, autoDelete: false,
                arguments: QueueArguments(), cancellationToken: cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        catch (OperationInterruptedException exception) when (exception.ShutdownReason?.ReplyCode == 406)
        {
            throw new RabbitMqTransportException(
                $"Queue '{queueName}' already exists with arguments that differ from what this endpoint declares ({DescribeDeclaration()}). " +
                $"Broker said: {exception.ShutdownReason.ReplyText}. Delete or migrate the queue, or configure the transport to match it (RabbitMqTransportOptions.QueueType).",
                exception);
        }
        catch (Exception exception) when (exception is not RabbitMqTransportException)
        {
            throw new RabbitMqTransportException($"Could not declare queue '{queueName}' ({DescribeDeclaration()}) on {_connection.SafeAddress}: {exception.Message}", exception);
        }
    }

    public async Task DeclareEventsExchangeAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await WithChannelAsync(channel => channel.ExchangeDeclareAsync(
                exchange: _settings.EventsExchange, type: ExchangeType.Topic, durable: true, autoDelete: false,
                cancellationToken: cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        catch (OperationInterruptedException exception) when (exception.ShutdownReason?.ReplyCode == 406)
        {
            throw new RabbitMqTransportException(
                $"Exchange '{_settings.EventsExchange}' already exists with a different type or arguments than this endpoint declares (durable topic exchange). Broker said: {exception.ShutdownReason.ReplyText}",
                exception);
        }
    }

    public Task BindAsync(string queueName, string routingKey, CancellationToken cancellationToken = default) =>
        WithChannelAsync(async channel =>
        {
            await channel.ExchangeDeclareAsync(_settings.EventsExchange, ExchangeType.Topic, durable: true, autoDelete: false, cancellationToken: cancellationToken).ConfigureAwait(false);
            await channel.QueueBindAsync(queueName, _settings.EventsExchange, routingKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        }, cancellationToken);

    public Task UnbindAsync(string queueName, string routingKey, CancellationToken cancellationToken = default) =>
        WithChannelAsync(channel => channel.QueueUnbindAsync(queueName, _settings.EventsExchange, routingKey, cancellationToken: cancellationToken), cancellationToken);

    async Task WithChannelAsync(Func<IChannel, Task> action, CancellationToken cancellationToken)
    {
        await _connection.WaitUntilOpenAsync(DateTime.UtcNow + _settings.PublishRecoveryTimeout, () => "declaring topology", cancellationToken).ConfigureAwait(false);
        var connection = await _connection.GetConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        await action(channel).ConfigureAwait(false);
        if (channel.IsOpen) await channel.CloseAsync(cancellationToken).ConfigureAwait(false);
    }
}
