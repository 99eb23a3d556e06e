using IntegrationHub.Testing;
using IntegrationHub.Transport.RabbitMq.Tests.Contracts;
using Rebus.Messages;
using Rebus.Transport;
using static IntegrationHub.Transport.RabbitMq.Tests.Contracts.TransportTestHelpers;

namespace IntegrationHub.Transport.RabbitMq.Tests.RabbitMq;

/// <summary>
/// Acks are coalesced (runs of consecutive deliveries go to the broker as one multiple ack). What a user would notice if
/// that went wrong: messages redelivered that were handled, a message acked that was not, or acks held back by a
/// slow handler until the prefetch window closes. Queue depths are read with rabbitmqctl, straight from the queue.
/// </summary>
public sealed class AckTests : IAsyncLifetime
{
    readonly RabbitMqTransportFactory _factory = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task A_slow_handler_does_not_hold_back_the_acks_of_later_messages()
    {
        var (transport, queue) = await QueueWith(20);
        var held = await Hold(transport, 20);

        // the first delivery (lowest tag) stays in its handler; the others finish, last ones first
        foreach (var later in held.Skip(1).Reverse()) later.Ack();
        await AssertDepthBecomes(queue, ready: 0, unacked: 1);

        held[0].Ack();
        await AssertDepthBecomes(queue, ready: 0, unacked: 0);
    }

    [Fact]
    public async Task A_rolled_back_message_among_acked_ones_is_the_only_one_redelivered()
    {
        var (transport, queue) = await QueueWith(10);
        var held = await Hold(transport, 10);

        held[4].Nack();
        await held[4].Settled;
        foreach (var other in held.Where((_, i) => i != 4)) other.Ack();
        await Task.WhenAll(held.Select(h => h.Settled));

        var redelivered = await transport.ReceiveCommittedAsync();
        Assert.Equal(held[4].Message.Id(), redelivered.Id());
        await AssertDepthBecomes(queue, ready: 0, unacked: 0);
    }

    [Fact]
    public async Task Messages_handled_concurrently_in_any_order_are_all_acked_once()
    {
        const int count = 300;
        var (transport, queue) = await QueueWith(count);
        var received = new System.Collections.Concurrent.ConcurrentBag<string>();

        // 16 receivers, each finishing its message after a random number of yields: acks arrive out of order
        var receivers = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            while (received.Count < count)
            {
                using var scope = new RebusTransactionScope();
                var message = await transport.Receive(scope.TransactionContext, CancellationToken.None);
                if (message == null) continue;
                for (var i = Random.Shared.Next(5); i > 0; i--) await Task.Yield();
                received.Add(message.Id());
                await scope.CompleteAsync();
            }
        })).ToArray();
        await Task.WhenAll(receivers).WaitAsync(WaitTimeout);

        await AssertDepthBecomes(queue, ready: 0, unacked: 0);
        Assert.Equal(count, received.Distinct().Count());
        Assert.Equal(count, received.Count);
    }

    [Fact]
    public async Task Acks_handed_over_just_before_the_transport_stops_still_reach_the_broker()
    {
        const int count = 100;
        var (transport, queue) = await QueueWith(count);
        for (var i = 0; i < count; i++) await transport.ReceiveCommittedAsync();

        // closing the channel makes the broker requeue every delivery whose ack was not written; requeued messages
        // are delivered before newer ones, so the next consumer would see one of them before the marker
        ((IDisposable)transport).Dispose();
        var next = _factory.Create(queue);
        var marker = NewMessage("marker");
        await next.SendCommittedAsync(queue, marker);

        Assert.Equal(marker.Id(), (await next.ReceiveCommittedAsync()).Id());
        await AssertDepthBecomes(queue, ready: 0, unacked: 0);
    }

    async Task<(ITransport Transport, string Queue)> QueueWith(int count)
    {
        var queue = _factory.NewQueueName();
        var transport = _factory.Create(queue);
        await transport.SendCommittedAsync(queue, Enumerable.Range(0, count).Select(i => NewMessage($"m{i}")).ToArray());
        return (transport, queue);
    }

    /// <summary>Receives <paramref name="count"/> deliveries, in order, each held open in its own transaction.</summary>
    static async Task<HeldDelivery[]> Hold(ITransport transport, int count)
    {
        var held = new HeldDelivery[count];
        for (var i = 0; i < count; i++)
        {
            held[i] = HeldDelivery.Receive(transport);
            await held[i].Received.WaitAsync(WaitTimeout);
        }
        return held;
    }

    static Task AssertDepthBecomes(string queue, long ready, long unacked) =>
        Eventually.Until(async () => await RabbitMqBroker.ReadyAndUnackedAsync(queue) == (ready, unacked), WaitTimeout,
            $"queue {queue} holds {ready} ready and {unacked} unacknowledged message(s)");

    /// <summary>A delivery received in a transaction of its own (its own async flow), settled when the test says so.</summary>
    sealed class HeldDelivery
    {
        readonly TaskCompletionSource<TransportMessage> _received = new(TaskCreationOptions.RunContinuationsAsynchronously);
        readonly TaskCompletionSource<bool> _decision = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Received => _received.Task;
        public TransportMessage Message => _received.Task.Result;
        public Task Settled { get; private set; } = Task.CompletedTask;

        public void Ack() => _decision.SetResult(true);
        public void Nack() => _decision.SetResult(false);

        public static HeldDelivery Receive(ITransport transport)
        {
            var held = new HeldDelivery();
            held.Settled = Task.Run(async () =>
            {
                using var scope = new RebusTransactionScope();
                TransportMessage? message = null;
                await Eventually.Until(async () => (message = await transport.Receive(scope.TransactionContext, CancellationToken.None)) != null,
                    WaitTimeout, $"a message arrives in queue '{transport.Address}'");
                held._received.SetResult(message!);
                if (await held._decision.Task) await scope.CompleteAsync();
                // disposing without completing rolls back: the delivery is nacked and requeued
            });
            return held;
        }
    }
}
