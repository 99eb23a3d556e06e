using IntegrationHub.Testing;
using Rebus.Messages;
using Rebus.Transport;
using static IntegrationHub.Transport.RabbitMq.Tests.Contracts.TransportTestHelpers;

namespace IntegrationHub.Transport.RabbitMq.Tests.Contracts;

/// <summary>
/// Behaviour every Rebus transport used by the hub must have. Runs for Rebus's in-memory transport (the reference)
/// and for the hub's RabbitMQ transport.
/// </summary>
public abstract class TransportContract<TFactory> : IAsyncLifetime where TFactory : ITransportFactory, new()
{
    protected TFactory Factory { get; } = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await Factory.DisposeAsync();

    [Fact]
    public async Task Sent_message_is_received_with_body_and_headers_preserved()
    {
        var queue = Factory.NewQueueName();
        var receiver = Factory.Create(queue);
        var sender = Factory.CreateOneWay();
        var sent = NewMessage("hello, hub", new Dictionary<string, string>
        {
            [Headers.CorrelationId] = "corr-1",
            ["hub-tenant"] = "tenant-æøå",
            ["hub-causation-id"] = "cause-1",
        });

        await sender.SendCommittedAsync(queue, sent);
        var received = await receiver.ReceiveCommittedAsync();

        Assert.Equal("hello, hub", received.Text());
        foreach (var (key, value) in sent.Headers)
        {
            Assert.True(received.Headers.TryGetValue(key, out var actual), $"header '{key}' was lost");
            Assert.Equal(value, actual);
        }
    }

    [Fact]
    public async Task Rolled_back_receive_is_redelivered()
    {
        var queue = Factory.NewQueueName();
        var transport = Factory.Create(queue);
        var sent = NewMessage("retry me");
        await transport.SendCommittedAsync(queue, sent);

        TransportMessage? first = null;
        await Eventually.Until(async () =>
        {
            using var scope = new RebusTransactionScope(); // disposed without completing: rollback + nack
            first = await transport.Receive(scope.TransactionContext, CancellationToken.None);
            return first != null;
        }, WaitTimeout, "the message is received the first time");

        var second = await transport.ReceiveCommittedAsync();

        Assert.Equal(sent.Id(), first!.Id());
        Assert.Equal(sent.Id(), second.Id());
    }

    [Fact]
    public async Task Send_inside_uncommitted_transaction_never_leaves()
    {
        var queue = Factory.NewQueueName();
        var transport = Factory.Create(queue);
        var uncommitted = NewMessage("must never arrive");
        var marker = NewMessage("sent after the rolled back one");

        using (var scope = new RebusTransactionScope())
        {
            await transport.Send(queue, uncommitted, scope.TransactionContext);
            // not completed: the handler "failed"
        }
        await transport.SendCommittedAsync(queue, marker);

        // the queue is FIFO: had the uncommitted message left, it would arrive before the marker
        var received = await transport.ReceiveCommittedAsync();
        Assert.Equal(marker.Id(), received.Id());
    }

    [Fact]
    public async Task Send_inside_a_committed_receive_leaves_on_commit()
    {
        var input = Factory.NewQueueName();
        var output = Factory.NewQueueName();
        var handler = Factory.Create(input);
        var downstream = Factory.Create(output);
        await handler.SendCommittedAsync(input, NewMessage("command"));

        var outgoing = NewMessage("event caused by the command");
        await Eventually.Until(async () =>
        {
            using var scope = new RebusTransactionScope();
            var incoming = await handler.Receive(scope.TransactionContext, CancellationToken.None);
            if (incoming == null) return false;
            await handler.Send(output, outgoing, scope.TransactionContext);
            await scope.CompleteAsync();
            return true;
        }, WaitTimeout, "the command is handled");

        var received = await downstream.ReceiveCommittedAsync();
        Assert.Equal(outgoing.Id(), received.Id());
    }

    [Fact]
    public async Task Competing_consumers_on_one_queue_each_get_a_share()
    {
        const int count = 40;
        var queue = Factory.NewQueueName();
        var first = Factory.Create(queue);
        var second = Factory.Create(queue);
        var sender = Factory.CreateOneWay();
        await sender.SendCommittedAsync(queue, Enumerable.Range(0, count).Select(i => NewMessage($"message {i}")).ToArray());

        var byFirst = new List<string>();
        var bySecond = new List<string>();
        await Eventually.Until(async () =>
        {
            if (await first.TryReceiveCommittedAsync() is { } a) byFirst.Add(a.Id());
            if (await second.TryReceiveCommittedAsync() is { } b) bySecond.Add(b.Id());
            return byFirst.Count + bySecond.Count >= count;
        }, TimeSpan.FromSeconds(60), $"all {count} messages are received by the two consumers");

        Assert.NotEmpty(byFirst);
        Assert.NotEmpty(bySecond);
        Assert.Equal(count, byFirst.Concat(bySecond).Distinct().Count());
    }
}

public sealed class InMemTransportContract : TransportContract<InMemTransportFactory>;

public sealed class RabbitMqTransportContract : TransportContract<RabbitMqTransportFactory>;
