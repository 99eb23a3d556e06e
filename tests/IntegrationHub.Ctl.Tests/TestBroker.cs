using IntegrationHub.Hosting.Bus;
using System.Text;
using IntegrationHub.Ctl.Rabbit;
using IntegrationHub.Testing;
using RabbitMQ.Client;

namespace IntegrationHub.Ctl.Tests;

/// <summary>
/// Per-test queues on the real broker: an error queue and a source queue with unique names, both quorum
/// queues like the hub's, deleted again on dispose.
/// </summary>
public sealed class TestBroker : IAsyncLifetime
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private readonly List<string> _queues = [];
    private IConnection? _connection;

    public string Uri { get; } = BrokerConnection.DefaultFromEnvironment();
    public string ErrorQueue { get; } = $"test.error.{Guid.NewGuid().ToString("N")[..8]}";
    public string SourceQueue { get; } = $"test.src.{Guid.NewGuid().ToString("N")[..8]}";

    private IConnection Connection => _connection ?? throw new InvalidOperationException("not initialized");

    public async Task InitializeAsync()
    {
        _connection = await new ConnectionFactory { Uri = new Uri(Uri), ClientProvidedName = "hubctl-tests" }
            .CreateConnectionAsync();
        await DeclareQuorumQueueAsync(ErrorQueue);
        await DeclareQuorumQueueAsync(SourceQueue);
    }

    public async Task DisposeAsync()
    {
        if (_connection is null)
        {
            return;
        }
        await using (var channel = await _connection.CreateChannelAsync())
        {
            foreach (var queue in _queues)
            {
                await channel.QueueDeleteAsync(queue, ifUnused: false, ifEmpty: false);
            }
        }
        await _connection.CloseAsync();
        _connection.Dispose();
    }

    public async Task<string> DeclareQuorumQueueAsync(string name)
    {
        await using var channel = await Connection.CreateChannelAsync();
        await channel.QueueDeclareAsync(name, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" });
        _queues.Add(name);
        return name;
    }

    public Task<ErrorQueue> ConnectErrorQueueAsync() => Rabbit.ErrorQueue.ConnectAsync(Uri, ErrorQueue);

    /// <summary>Puts a message into the error queue the way the hub does after the last failed attempt.</summary>
    public async Task<string> PublishFailedAsync(string? sourceQueue, string? messageId = null, string body = """{"orderId":42,"customer":"Zoë"}""")
    {
        messageId ??= Guid.NewGuid().ToString();
        var headers = new Dictionary<string, object?>
        {
            [Rebus.Messages.Headers.MessageId] = Bytes(messageId),
            [Rebus.Messages.Headers.Type] = Bytes("IntegrationHub.Contracts.Orders.OrderPlaced, IntegrationHub.Contracts"),
            [Rebus.Messages.Headers.CorrelationId] = Bytes("corr-" + messageId),
            [Rebus.Messages.Headers.ErrorDetails] = Bytes("System.InvalidOperationException: Customer 42 is blocked\n   at IntegrationHub.Sample.OrderHandler.Handle(OrderPlaced message) in OrderHandler.cs:line 17\n   at Rebus.Pipeline.Receive.DispatchIncomingMessageStep.Process()"),
            [HubHeaders.ErrorType] = Bytes("System.InvalidOperationException"),
            [HubHeaders.ErrorMessage] = Bytes("Customer 42 is blocked"),
            [HubHeaders.ErrorAttempts] = 5,
            [HubHeaders.ErrorFailedAt] = Bytes("2025-11-24T06:50:12.3456789Z"),
            [HubHeaders.DelayedRetries] = 2,
            [HubHeaders.Tenant] = Bytes("acme"),
            [HubHeaders.CausationId] = Bytes("cause-1"),
            [HubHeaders.SendingEndpoint] = Bytes("orders-api"),
            ["rbs2-content-type"] = Bytes("application/json;charset=utf-8"),
        };
        if (sourceQueue is not null)
        {
            headers[Rebus.Messages.Headers.SourceQueue] = Bytes(sourceQueue);
        }

        var properties = new BasicProperties
        {
            MessageId = messageId,
            Type = "IntegrationHub.Contracts.Orders.OrderPlaced, IntegrationHub.Contracts",
            CorrelationId = "corr-" + messageId,
            ContentType = "application/json",
            DeliveryMode = DeliveryModes.Persistent,
            Headers = headers,
        };

        await using var channel = await Connection.CreateChannelAsync(new CreateChannelOptions(true, true));
        await channel.BasicPublishAsync(string.Empty, ErrorQueue, mandatory: true, properties, Encoding.UTF8.GetBytes(body));
        return messageId;
    }

    public async Task<uint> CountAsync(string queue)
    {
        await using var channel = await Connection.CreateChannelAsync();
        return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
    }

    /// <summary>Waits until the queue holds exactly <paramref name="expected"/> ready messages (requeues are asynchronous).</summary>
    public async Task WaitForCountAsync(string queue, uint expected)
    {
        await Eventually.Until(async () => await CountAsync(queue) == expected, Timeout, $"{queue} holds {expected} message(s)");
    }

    /// <summary>Takes the next message from a queue, waiting for it with a bounded timeout.</summary>
    public async Task<BasicGetResult> TakeAsync(string queue)
    {
        await using var channel = await Connection.CreateChannelAsync();
        BasicGetResult? result = null;
        await Eventually.Until(async () => (result = await channel.BasicGetAsync(queue, autoAck: true)) is not null, Timeout, $"a message arrives in {queue}");
        return result!;
    }

    private static byte[] Bytes(string value) => Encoding.UTF8.GetBytes(value);
}
