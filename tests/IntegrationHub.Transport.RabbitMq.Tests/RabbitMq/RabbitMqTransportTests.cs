using System.Text;
using IntegrationHub.Testing;
using IntegrationHub.Transport.RabbitMq.Internals;
using IntegrationHub.Transport.RabbitMq.Tests.Contracts;
using RabbitMQ.Client;
using Rebus.Messages;
using Headers = Rebus.Messages.Headers;
using Rebus.Transport;
using static IntegrationHub.Transport.RabbitMq.Tests.Contracts.TransportTestHelpers;

namespace IntegrationHub.Transport.RabbitMq.Tests.RabbitMq;

/// <summary>Transport-level claims that only make sense against the real broker.</summary>
public sealed class RabbitMqTransportTests : IAsyncLifetime
{
    readonly RabbitMqTransportFactory _factory = new();
    readonly RabbitMqTestScope _scope = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        await _scope.DisposeAsync();
    }

    static async Task<string?> QueueTypeFromManagementApi(string queue)
    {
        using var json = await RabbitMqBroker.GetManagementJsonAsync($"queues/{RabbitMqBroker.VirtualHostPath}/{Uri.EscapeDataString(queue)}");
        return json?.RootElement.GetProperty("type").GetString();
    }

    [Fact]
    public async Task Queue_is_declared_as_quorum_by_default()
    {
        var queue = _factory.NewQueueName();
        _factory.CreateRabbitMq(queue);

        Assert.Equal("quorum", await QueueTypeFromManagementApi(queue));
    }

    [Fact]
    public async Task Queue_is_declared_as_classic_when_configured()
    {
        var queue = _factory.NewQueueName();
        _factory.CreateRabbitMq(queue, o => o.QueueType(RabbitMqQueueType.Classic));

        Assert.Equal("classic", await QueueTypeFromManagementApi(queue));
    }

    [Fact]
    public async Task CreateQueue_declares_a_durable_quorum_queue()
    {
        var errorQueue = _scope.Queue("test.error");
        var transport = _factory.CreateOneWay();

        transport.CreateQueue(errorQueue);

        using var json = await RabbitMqBroker.GetManagementJsonAsync($"queues/{RabbitMqBroker.VirtualHostPath}/{errorQueue}");
        Assert.NotNull(json);
        Assert.Equal("quorum", json!.RootElement.GetProperty("type").GetString());
        Assert.True(json.RootElement.GetProperty("durable").GetBoolean());
    }

    [Fact]
    public async Task Declaring_an_existing_queue_with_other_arguments_fails_naming_the_queue_and_the_mismatch()
    {
        var queue = _factory.NewQueueName();
        await RabbitMqBroker.WithChannelAsync(channel => channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-queue-type"] = "classic" }));

        var error = Assert.ThrowsAny<Exception>(() => _factory.CreateRabbitMq(queue));

        Assert.Contains(queue, error.Message);
        Assert.Contains("x-queue-type", error.Message);
    }

    [Fact]
    public async Task Operators_see_message_id_type_and_correlation_id_as_amqp_properties()
    {
        var queue = _factory.NewQueueName();
        var sender = _factory.CreateOneWay();
        sender.CreateQueue(queue);
        var message = NewMessage("payload", new Dictionary<string, string>
        {
            [Headers.CorrelationId] = "corr-42",
            [Headers.TimeToBeReceived] = "00:01:00",
            ["hub-sending-endpoint"] = "hub.sample",
            ["hub-tenant"] = "tenant-7",
            ["hub-causation-id"] = "cause-9",
        });

        await sender.SendCommittedAsync(queue, message);
        var got = await GetRawAsync(queue);

        var properties = got.BasicProperties;
        Assert.Equal(message.Id(), properties.MessageId);
        Assert.Equal(message.Headers[Headers.Type], properties.Type);
        Assert.Equal("corr-42", properties.CorrelationId);
        Assert.Equal("text/plain;charset=utf-8", properties.ContentType);
        Assert.Equal("hub.sample", properties.AppId);
        Assert.Equal("60000", properties.Expiration);
        Assert.True(properties.Timestamp.UnixTime > 0);
        Assert.True(properties.Persistent);
        Assert.Equal("tenant-7", RabbitMqBroker.HeaderString(properties, "hub-tenant"));
        Assert.Equal("cause-9", RabbitMqBroker.HeaderString(properties, "hub-causation-id"));
        Assert.Equal(message.Id(), RabbitMqBroker.HeaderString(properties, Headers.MessageId));
        Assert.Equal("payload", Encoding.UTF8.GetString(got.Body.Span));
    }

    [Fact]
    public async Task Express_messages_are_sent_non_persistent()
    {
        var queue = _factory.NewQueueName();
        var sender = _factory.CreateOneWay();
        sender.CreateQueue(queue);

        await sender.SendCommittedAsync(queue, NewMessage("fast", new Dictionary<string, string> { [Headers.Express] = "" }));
        var got = await GetRawAsync(queue);

        Assert.False(got.BasicProperties.Persistent);
    }

    static async Task<BasicGetResult> GetRawAsync(string queue)
    {
        BasicGetResult? got = null;
        await Eventually.Until(async () => (got = await RabbitMqBroker.GetAsync(queue)) != null, WaitTimeout, $"a message can be fetched from '{queue}'");
        return got!;
    }

    [Fact]
    public async Task Unconfirmed_publish_surfaces_as_error()
    {
        var queue = _scope.Queue();
        await RabbitMqBroker.WithChannelAsync(channel => channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-max-length"] = 1, ["x-overflow"] = "reject-publish", ["x-queue-type"] = "classic" }));
        var sender = _factory.CreateOneWay();

        await sender.SendCommittedAsync(queue, NewMessage("fills the queue"));
        var error = await Assert.ThrowsAnyAsync<Exception>(() => sender.SendCommittedAsync(queue, NewMessage("rejected by the broker")));

        Assert.Contains("nack", error.Message);
        Assert.Contains(queue, error.Message);
        Assert.Equal(1u, await RabbitMqBroker.CountMessagesAsync(queue));
    }

    [Fact]
    public async Task Send_to_a_missing_queue_fails_naming_the_queue()
    {
        var missing = RabbitMqBroker.NewQueueName("test.missing");
        var sender = _factory.CreateOneWay();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => sender.SendCommittedAsync(missing, NewMessage("nowhere to go")));

        Assert.Contains(missing, error.Message);
        Assert.Contains("unroutable", error.Message);
    }

    [Fact]
    public async Task A_batch_of_sends_in_one_transaction_is_confirmed_completely()
    {
        const int count = 500;
        var queue = _factory.NewQueueName();
        var sender = _factory.CreateOneWay();
        sender.CreateQueue(queue);

        await sender.SendCommittedAsync(queue, Enumerable.Range(0, count).Select(i => NewMessage($"m{i}")).ToArray());

        // confirmed means stored: the count is exact right after the commit returned
        Assert.Equal((uint)count, await RabbitMqBroker.CountMessagesAsync(queue));
    }

    [Fact]
    public async Task Redelivery_count_of_the_quorum_queue_is_exposed_as_rbs2_delivery_count()
    {
        var queue = _factory.NewQueueName();
        var transport = _factory.Create(queue);
        await transport.SendCommittedAsync(queue, NewMessage("count me"));

        TransportMessage? first = null;
        await Eventually.Until(async () =>
        {
            using var scope = new RebusTransactionScope(); // rolled back
            first = await transport.Receive(scope.TransactionContext, CancellationToken.None);
            return first != null;
        }, WaitTimeout, "the first delivery arrives");
        var second = await transport.ReceiveCommittedAsync();

        Assert.Equal("1", first!.Headers[Headers.DeliveryCount]);
        Assert.Equal("2", second.Headers[Headers.DeliveryCount]);
    }

    [Fact]
    public void Endpoints_in_one_process_share_one_connection_per_connection_string()
    {
        var first = (RabbitMqTransport)_factory.Create(_factory.NewQueueName());
        var second = (RabbitMqTransport)_factory.Create(_factory.NewQueueName());
        var client = (RabbitMqTransport)_factory.CreateOneWay();

        Assert.Same(first.Connection, second.Connection);
        Assert.Same(first.Connection, client.Connection);
        Assert.True(first.Connection.ReferenceCount >= 3);

        var before = first.Connection.ReferenceCount;
        second.Dispose();
        Assert.Equal(before - 1, first.Connection.ReferenceCount);
        Assert.True(first.Connection.IsOpen, "the connection stays open while other endpoints use it");
    }

    [Fact]
    public async Task The_shared_connection_closes_when_its_last_user_disposes()
    {
        var transport = _factory.CreateRabbitMq(_factory.NewQueueName());
        var connection = transport.Connection;
        var others = connection.ReferenceCount - 1;
        Assert.Equal(0, others); // nothing else of this test class holds the connection now

        transport.Dispose();

        Assert.False(connection.IsOpen);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Disposing_the_transport_returns_unacked_deliveries_to_the_queue()
    {
        const int count = 5;
        var queue = _factory.NewQueueName();
        var transport = _factory.Create(queue);
        await transport.SendCommittedAsync(queue, Enumerable.Range(0, count).Select(i => NewMessage($"m{i}")).ToArray());

        // one delivery is in a handler (received, never settled), the rest are prefetched into the buffer
        var scope = new RebusTransactionScope();
        await Eventually.Until(async () => await transport.Receive(scope.TransactionContext, CancellationToken.None) != null, WaitTimeout, "a message is received");

        ((IDisposable)transport).Dispose();

        await Eventually.Until(async () => await RabbitMqBroker.CountMessagesAsync(queue) == count, WaitTimeout, "the broker requeues every unacked delivery");
        scope.Dispose(); // its nack goes to a closed channel: must not throw
    }

    [Fact]
    public async Task Send_while_the_connection_is_recovering_waits_and_then_succeeds()
    {
        var queue = _factory.NewQueueName();
        var transport = _factory.Create(queue);

        await RabbitMqBroker.CloseAllConnectionsAsync("test: send during recovery");
        await transport.SendCommittedAsync(queue, NewMessage("sent while recovering"));

        var received = await transport.ReceiveCommittedAsync();
        Assert.Equal("sent while recovering", received.Text());
    }

    [Fact]
    public async Task Ack_of_a_delivery_received_before_a_connection_recovery_does_not_break_the_consumer()
    {
        var queue = _factory.NewQueueName();
        var transport = _factory.CreateRabbitMq(queue);
        var original = NewMessage("received before the connection dropped");
        await transport.SendCommittedAsync(queue, original);

        var scope = new RebusTransactionScope();
        TransportMessage? inFlight = null;
        await Eventually.Until(async () => (inFlight = await transport.Receive(scope.TransactionContext, CancellationToken.None)) != null, WaitTimeout, "the message is received");

        await RabbitMqBroker.CloseAllConnectionsAsync("test: stale ack");
        await Eventually.Until(() => transport.Connection.IsOpen && transport.Consumer!.CurrentChannel is { IsOpen: true }, WaitTimeout, "the connection and consumer channel recover");

        await scope.CompleteAsync(); // acks a delivery tag of the old channel
        scope.Dispose();

        var redelivered = await transport.ReceiveCommittedAsync();
        Assert.Equal(original.Id(), redelivered.Id());

        var later = NewMessage("after recovery");
        await transport.SendCommittedAsync(queue, later);
        Assert.Equal(later.Id(), (await transport.ReceiveCommittedAsync()).Id());

        Assert.True(transport.Consumer!.CurrentChannel!.IsOpen, "the consumer channel is still open");
        await Eventually.Until(async () => await RabbitMqBroker.CountMessagesAsync(queue) == 0, WaitTimeout, "every message is acked");
    }

    [Fact]
    public async Task RabbitMq_client_7_ignores_acks_with_delivery_tags_from_before_recovery()
    {
        var queue = _scope.Queue();
        var factory = new ConnectionFactory { Uri = new Uri(RabbitMqBroker.ConnectionString), AutomaticRecoveryEnabled = true, TopologyRecoveryEnabled = true, NetworkRecoveryInterval = TimeSpan.FromMilliseconds(500) };
        await using var connection = await factory.CreateConnectionAsync("test-stale-tags");
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" });
        await channel.BasicPublishAsync("", queue, Encoding.UTF8.GetBytes("one"));

        BasicGetResult? before = null;
        await Eventually.Until(async () => (before = await channel.BasicGetAsync(queue, autoAck: false)) != null, WaitTimeout, "the message can be fetched");

        await RabbitMqBroker.CloseAllConnectionsAsync("test: raw stale tag");
        await Eventually.Until(() => connection.IsOpen && channel.IsOpen, WaitTimeout, "the raw connection recovers");

        await channel.BasicAckAsync(before!.DeliveryTag, multiple: false); // stale tag: must be ignored, not sent

        BasicGetResult? after = null;
        await Eventually.Until(async () => (after = await channel.BasicGetAsync(queue, autoAck: false)) != null, WaitTimeout, "the requeued message can be fetched again");
        await channel.BasicAckAsync(after!.DeliveryTag, multiple: false);

        Assert.Equal(0u, (await channel.QueueDeclarePassiveAsync(queue)).MessageCount);
        Assert.True(channel.IsOpen);
        await connection.CloseAsync();
    }
}
