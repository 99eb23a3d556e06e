using System.Collections.Concurrent;
using IntegrationHub.Testing;
using IntegrationHub.Transport.RabbitMq.Tests.Contracts;
using Rebus.Activation;
using Rebus.Bus;
using Rebus.Config;
using Rebus.Logging;
using Rebus.Retry.Simple;
using Rebus.Topic;
using Rebus.Transport;

namespace IntegrationHub.Transport.RabbitMq.Tests.RabbitMq;

public sealed record TestCommand(int Number);

public sealed record TestEvent(string Id);

/// <summary>End-to-end claims with real Rebus buses on the real broker.</summary>
public sealed class RabbitMqBusTests : IAsyncLifetime
{
    readonly RabbitMqTestScope _scope = new();
    readonly List<IDisposable> _disposables = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        for (var i = _disposables.Count - 1; i >= 0; i--) _disposables[i].Dispose();
        await _scope.DisposeAsync();
    }

    /// <summary>A bus on <paramref name="inputQueue"/>; <paramref name="options"/> configures more (e.g. decorates the pipeline).</summary>
    IBus StartBus(BuiltinHandlerActivator activator, string inputQueue, string errorQueue, Action<RabbitMqTransportOptions>? transport = null,
        int maxDeliveryAttempts = 5, int parallelism = 10, Action<OptionsConfigurer>? options = null)
    {
        _disposables.Add(activator);
        return Configure.With(activator)
            .Logging(l => l.Console(LogLevel.Warn))
            .Transport(t =>
            {
                var options = t.UseHubRabbitMq(RabbitMqBroker.ConnectionString, inputQueue);
                transport?.Invoke(options);
            })
            .Options(o =>
            {
                o.RetryStrategy(errorQueueName: errorQueue, maxDeliveryAttempts: maxDeliveryAttempts);
                o.SetNumberOfWorkers(1);
                o.SetMaxParallelism(parallelism);
                options?.Invoke(o);
            })
            .Start();
    }

    IBus StartOneWayClient(Action<RabbitMqTransportOptions>? transport = null)
    {
        var bus = Configure.OneWayClient()
            .Logging(l => l.Console(LogLevel.Warn))
            .Transport(t =>
            {
                var options = t.UseHubRabbitMqAsOneWayClient(RabbitMqBroker.ConnectionString);
                transport?.Invoke(options);
            })
            .Start();
        _disposables.Add(bus);
        return bus;
    }

    [Fact]
    public async Task Delivery_whose_error_handling_fails_goes_back_to_the_queue_instead_of_staying_unacknowledged()
    {
        var queue = _scope.Queue();
        var errorQueue = _scope.Queue("test.error");
        var deliveries = 0;
        var activator = new BuiltinHandlerActivator();
        activator.Handle<TestCommand>(_ => throw new InvalidOperationException("always fails"));
        var bus = StartBus(activator, queue, errorQueue, maxDeliveryAttempts: 1, options: o =>
            o.Decorate<Rebus.Pipeline.IPipeline>(c => new Rebus.Pipeline.PipelineStepInjector(c.Get<Rebus.Pipeline.IPipeline>())
                .OnReceive(new CountingStep(() => Interlocked.Increment(ref deliveries)), Rebus.Pipeline.PipelineRelativePosition.Before,
                    typeof(Rebus.Retry.Simple.DefaultRetryStep))));
        await RabbitMqBroker.DeleteQueueAsync(errorQueue); // moving the message to the error queue fails now

        await bus.SendLocal(new TestCommand(1));

        // Not acked (it could not be moved) and not left unacked either: nacked, so the broker delivers it again.
        await Eventually.Until(() => Volatile.Read(ref deliveries) >= 3, TimeSpan.FromSeconds(60), "the message is delivered again and again");
    }

    [Fact]
    public async Task Delivery_whose_transaction_fails_to_complete_goes_back_to_the_queue_instead_of_staying_unacknowledged()
    {
        var queue = _scope.Queue();
        var errorQueue = _scope.Queue("test.error");
        var nowhere = _scope.Queue("test.nowhere"); // never declared: the handler's send cannot be routed when its transaction commits
        var handled = 0;
        var activator = new BuiltinHandlerActivator();
        activator.Handle<TestCommand>(async (bus, _, _) =>
        {
            Interlocked.Increment(ref handled);
            await bus.Advanced.Routing.Send(nowhere, new TestEvent("lost"));
        });
        var bus = StartBus(activator, queue, errorQueue, maxDeliveryAttempts: 100);

        await bus.SendLocal(new TestCommand(1));

        await Eventually.Until(() => Volatile.Read(ref handled) >= 3, TimeSpan.FromSeconds(60), "the message is delivered again and again");
    }

    sealed class CountingStep(Action counted) : Rebus.Pipeline.IIncomingStep
    {
        public Task Process(Rebus.Pipeline.IncomingStepContext context, Func<Task> next)
        {
            counted();
            return next();
        }
    }

    [Fact]
    public async Task Endpoint_recovers_after_connections_are_closed_and_loses_nothing()
    {
        const int count = 2000;
        const int closeAfter = 300;
        var queue = _scope.Queue();
        var errorQueue = _scope.Queue("test.error");
        var handled = new ConcurrentDictionary<int, int>();
        var connectionsClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var activator = new BuiltinHandlerActivator();
        activator.Handle<TestCommand>(async command =>
        {
            handled.AddOrUpdate(command.Number, 1, (_, n) => n + 1);
            // keep some deliveries in flight (received, not yet acked) while the connections are closed
            if (handled.Count >= closeAfter) await connectionsClosed.Task.WaitAsync(TimeSpan.FromSeconds(60));
        });

        var client = StartOneWayClient();
        var bus = StartBus(activator, queue, errorQueue);
        using (var scope = new RebusTransactionScope())
        {
            for (var i = 0; i < count; i++) await client.Advanced.Routing.Send(queue, new TestCommand(i));
            await scope.CompleteAsync();
        }

        await Eventually.Until(() => handled.Count >= closeAfter, TimeSpan.FromSeconds(30), $"at least {closeAfter} messages are handled");
        await RabbitMqBroker.CloseAllConnectionsAsync("test: endpoint recovery");
        connectionsClosed.SetResult();

        await Eventually.Until(() => handled.Count == count, TimeSpan.FromSeconds(90), $"all {count} messages are handled after recovery (so far {handled.Count})");
        await Eventually.Until(async () => await RabbitMqBroker.CountMessagesAsync(queue) == 0, TimeSpan.FromSeconds(30), "every message is acked");
        Assert.Equal(Enumerable.Range(0, count), handled.Keys.Order());
        Assert.Equal(0u, await RabbitMqBroker.CountMessagesAsync(errorQueue));
        GC.KeepAlive(bus);
    }

    [Fact]
    public async Task Poison_message_ends_in_error_queue_with_reason()
    {
        var queue = _scope.Queue();
        var errorQueue = _scope.Queue("test.error");
        var reason = $"poison {Guid.NewGuid():N}";
        var attempts = 0;

        var activator = new BuiltinHandlerActivator();
        activator.Handle<TestCommand>(_ =>
        {
            Interlocked.Increment(ref attempts);
            throw new InvalidOperationException(reason);
        });
        var bus = StartBus(activator, queue, errorQueue, maxDeliveryAttempts: 3);

        await bus.SendLocal(new TestCommand(1));

        await Eventually.Until(async () => await RabbitMqBroker.CountMessagesAsync(errorQueue) == 1, TimeSpan.FromSeconds(30), "the message is moved to the error queue");
        var dead = await RabbitMqBroker.GetAsync(errorQueue);
        Assert.NotNull(dead);
        var details = RabbitMqBroker.HeaderString(dead!.BasicProperties, "rbs2-error-details");
        Assert.NotNull(details);
        Assert.Contains(reason, details);
        Assert.Equal(3, attempts);
        Assert.Equal(0u, await RabbitMqBroker.CountMessagesAsync(queue));
    }

    [Fact]
    public async Task A_send_from_a_failing_handler_never_leaves()
    {
        var queue = _scope.Queue();
        var downstream = _scope.Queue();
        var errorQueue = _scope.Queue("test.error");
        var activator = new BuiltinHandlerActivator();
        activator.Handle<TestCommand>(async (bus, command) =>
        {
            await bus.Advanced.Routing.Send(downstream, new TestEvent($"caused by {command.Number}"));
            throw new InvalidOperationException("handler fails after sending");
        });
        await RabbitMqBroker.WithChannelAsync(c => c.QueueDeclareAsync(downstream, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" }));
        var bus = StartBus(activator, queue, errorQueue, maxDeliveryAttempts: 2);

        await bus.SendLocal(new TestCommand(2));

        await Eventually.Until(async () => await RabbitMqBroker.CountMessagesAsync(errorQueue) == 1, TimeSpan.FromSeconds(30), "the failing command reaches the error queue");
        Assert.Equal(0u, await RabbitMqBroker.CountMessagesAsync(downstream));
    }

    [Fact]
    public async Task Published_event_reaches_every_subscribed_queue_through_the_events_exchange()
    {
        var exchange = _scope.Exchange();
        var queueA = _scope.Queue("test.a");
        var queueB = _scope.Queue("test.b");
        var errorQueue = _scope.Queue("test.error");
        var receivedA = new ConcurrentBag<string>();
        var receivedB = new ConcurrentBag<string>();

        var activatorA = new BuiltinHandlerActivator();
        activatorA.Handle<TestEvent>(e => { receivedA.Add(e.Id); return Task.CompletedTask; });
        var activatorB = new BuiltinHandlerActivator();
        activatorB.Handle<TestEvent>(e => { receivedB.Add(e.Id); return Task.CompletedTask; });
        var busA = StartBus(activatorA, queueA, errorQueue, t => t.EventsExchange(exchange));
        var busB = StartBus(activatorB, queueB, errorQueue, t => t.EventsExchange(exchange));
        var publisher = StartOneWayClient(t => t.EventsExchange(exchange));

        await busA.Subscribe<TestEvent>();
        await busB.Subscribe<TestEvent>();
        var topic = new DefaultTopicNameConvention().GetTopic(typeof(TestEvent));

        var bindings = await BindingsOf(exchange);
        Assert.Contains((queueA, topic), bindings);
        Assert.Contains((queueB, topic), bindings);

        await publisher.Publish(new TestEvent("first"));
        await Eventually.Until(() => receivedA.Contains("first") && receivedB.Contains("first"), TimeSpan.FromSeconds(20), "both subscribers receive the event");

        await busA.Unsubscribe<TestEvent>();
        Assert.DoesNotContain((queueA, topic), await BindingsOf(exchange));

        await publisher.Publish(new TestEvent("second"));
        await Eventually.Until(() => receivedB.Contains("second"), TimeSpan.FromSeconds(20), "the remaining subscriber receives the second event");
        // published after the first one, it reached B; A's queue is unbound, so A got nothing more
        Assert.Equal(0u, await RabbitMqBroker.CountMessagesAsync(queueA));
        Assert.DoesNotContain("second", receivedA);
    }

    [Fact]
    public async Task Publishing_an_event_nobody_subscribes_to_is_not_an_error()
    {
        var exchange = _scope.Exchange();
        var publisher = StartOneWayClient(t => t.EventsExchange(exchange));

        await publisher.Publish(new TestEvent("into the void"));
    }

    static async Task<List<(string Destination, string RoutingKey)>> BindingsOf(string exchange)
    {
        using var json = await RabbitMqBroker.GetManagementJsonAsync($"exchanges/{RabbitMqBroker.VirtualHostPath}/{Uri.EscapeDataString(exchange)}/bindings/source");
        Assert.NotNull(json);
        return json!.RootElement.EnumerateArray()
            .Select(b => (b.GetProperty("destination").GetString()!, b.GetProperty("routing_key").GetString()!))
            .ToList();
    }
}
