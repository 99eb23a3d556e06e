using IntegrationHub.Hosting;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Rebus.Config;
using Rebus.Handlers;

namespace IntegrationHub.Bench;

/// <summary>The hub's and MassTransit's message: a 1 KB string (the JSON body is about 1 KB; MassTransit adds its envelope).</summary>
public sealed record BenchMessage(string Payload);

/// <summary>One way of moving N messages from a sender to a consumer on the same broker.</summary>
public interface IBusScenario : IAsyncDisposable
{
    string Name { get; }
    Task Start();

    /// <summary>Sends <paramref name="n"/> messages, <paramref name="concurrency"/> in flight; msg/s from first send to Nth handled.</summary>
    Task<double> Run(int n, int concurrency);
}

/// <summary>RabbitMQ.Client 7 directly: confirmed persistent publishes into a quorum queue, a manual-ack consumer.</summary>
public sealed class RawRabbitScenario(string connectionString, string queue) : IBusScenario
{
    readonly byte[] _body = System.Text.Encoding.ASCII.GetBytes(Measure.Payload(1024));
    readonly Countdown _countdown = new();
    IConnection? _publisherConnection, _consumerConnection;
    IChannel? _publisher, _consumer;

    public string Name => "raw";

    public async Task Start()
    {
        var factory = new ConnectionFactory { Uri = new Uri(connectionString) };
        _publisherConnection = await factory.CreateConnectionAsync("bench-raw-publisher");
        _consumerConnection = await factory.CreateConnectionAsync("bench-raw-consumer");
        _publisher = await _publisherConnection.CreateChannelAsync(new CreateChannelOptions(
            publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        await _publisher.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" });

        _consumer = await _consumerConnection.CreateChannelAsync();
        await _consumer.BasicQosAsync(0, 100, global: false);
        var consumer = new AsyncEventingBasicConsumer(_consumer);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            await _consumer.BasicAckAsync(delivery.DeliveryTag, multiple: false);
            _countdown.Signal();
        };
        await _consumer.BasicConsumeAsync(queue, autoAck: false, consumer);
    }

    public Task<double> Run(int n, int concurrency)
    {
        _countdown.Reset(n);
        var properties = new BasicProperties { Persistent = true, ContentType = "application/octet-stream" };
        return Measure.Rate(n, async () =>
        {
            // each publish completes when the broker has confirmed it (confirm tracking on)
            await Measure.Concurrently(n, concurrency, async _ =>
                await _publisher!.BasicPublishAsync("", queue, mandatory: true, properties, _body));
            await _countdown.Wait(Measure.RoundTimeout, Name);
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (_consumer is not null) await _consumer.DisposeAsync();
        if (_publisher is not null) await _publisher.DisposeAsync();
        if (_consumerConnection is not null) await _consumerConnection.DisposeAsync();
        if (_publisherConnection is not null) await _publisherConnection.DisposeAsync();
    }
}

public sealed class CountingHandler(Countdown countdown) : IHandleMessages<BenchMessage>
{
    public Task Handle(BenchMessage message)
    {
        countdown.Signal();
        return Task.CompletedTask;
    }
}

/// <summary>Two hub endpoints in the hub's own hosting, RabbitMQ transport, in-memory storage, default settings.</summary>
public sealed class HubBusScenario(string connectionString, string senderName, string receiverName, string errorQueue) : IBusScenario
{
    readonly BenchMessage _message = new(Measure.Payload(1000));
    readonly Countdown _countdown = new();
    HubHost? _host;
    Rebus.Bus.IBus? _sender;

    public string Name => "hub";

    public async Task Start()
    {
        _host = await HubHost.Start(new Dictionary<string, string?>
        {
            ["Hub:Transport"] = "RabbitMq",
            ["Hub:Persistence"] = "InMemory",
            ["Hub:ErrorQueue"] = errorQueue,
            ["ConnectionStrings:RabbitMq"] = connectionString,
        },
            new BenchEndpoint(senderName, _ => { }),
            new BenchEndpoint(receiverName, e => { e.Services.AddSingleton(_countdown); e.Handler<CountingHandler>(); }));
        _sender = _host.Bus(senderName);
    }

    public Task<double> Run(int n, int concurrency)
    {
        _countdown.Reset(n);
        var destination = HubEndpoint.QueueNameOf(receiverName);
        return Measure.Rate(n, async () =>
        {
            await Measure.Concurrently(n, concurrency, _ => _sender!.Advanced.Routing.Send(destination, _message));
            await _countdown.Wait(Measure.RoundTimeout, Name);
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (_host is not null) await _host.DisposeAsync();
    }
}

/// <summary>MassTransit.RabbitMQ 8: quorum receive endpoint, prefetch 100, publisher confirms, Send to the queue.</summary>
public sealed class MassTransitScenario(string connectionString, string queue) : IBusScenario
{
    readonly BenchMessage _message = new(Measure.Payload(1000));
    readonly Countdown _countdown = new();
    IBusControl? _bus;
    ISendEndpoint? _endpoint;

    public string Name => "masstransit";

    public async Task Start()
    {
        var uri = new Uri(connectionString);
        var credentials = uri.UserInfo.Split(':');
        _bus = MassTransit.Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(uri.Host, (ushort)(uri.Port > 0 ? uri.Port : 5672), "/", h =>
            {
                h.Username(Uri.UnescapeDataString(credentials[0]));
                h.Password(Uri.UnescapeDataString(credentials.ElementAtOrDefault(1) ?? ""));
                h.PublisherConfirmation = true; // the default, stated
            });
            cfg.ReceiveEndpoint(queue, e =>
            {
                e.SetQuorumQueue();
                e.PrefetchCount = 100;
                e.ConfigureConsumeTopology = false;
                e.Handler<BenchMessage>(_ =>
                {
                    _countdown.Signal();
                    return Task.CompletedTask;
                });
            });
        });
        await _bus.StartAsync();
        // The receive endpoint's own fanout exchange, bound to its queue. ("queue:" would declare the queue again,
        // as a classic queue, which the broker refuses for an existing quorum queue.)
        _endpoint = await _bus.GetSendEndpoint(new Uri($"exchange:{queue}"));
    }

    public Task<double> Run(int n, int concurrency)
    {
        _countdown.Reset(n);
        return Measure.Rate(n, async () =>
        {
            await Measure.Concurrently(n, concurrency, _ => _endpoint!.Send(_message));
            await _countdown.Wait(Measure.RoundTimeout, Name);
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (_bus is not null) await _bus.StopAsync();
    }
}

public static class BusBench
{
    public static async Task<BenchResult> Run(BenchOptions options)
    {
        var id = Measure.RunId;
        var rawQueue = $"bench.raw.{id}";
        var mtQueue = $"bench.mt.{id}";
        var sender = $"BenchSend{id}";
        var receiver = $"BenchRecv{id}";
        var errorQueue = $"bench.error.{id}";
        IBusScenario[] scenarios =
        [
            new RawRabbitScenario(options.RabbitMq, rawQueue),
            new HubBusScenario(options.RabbitMq, sender, receiver, errorQueue),
            new MassTransitScenario(options.RabbitMq, mtQueue),
        ];
        // BENCH_ONLY=hub (comma-separated names): run only those scenarios, e.g. to profile one of them
        if (Environment.GetEnvironmentVariable("BENCH_ONLY") is { Length: > 0 } only)
            scenarios = scenarios.Where(s => only.Split(',').Contains(s.Name)).ToArray();

        Console.WriteLine($"== bus: N={options.Messages} C={options.Concurrency} rounds={options.Rounds} warm-up={options.Warmup}, 1 KB, persistent, confirms, quorum queues (run {id})");
        var result = new BenchResult("bus", "msg/s", scenarios.Select(s => s.Name).ToArray());
        try
        {
            foreach (var scenario in scenarios)
                await scenario.Start();

            foreach (var scenario in scenarios)
                await JitWarmup.UntilSettled(async batch =>
                    $"   warm-up {batch} {scenario.Name,-12} {await scenario.Run(options.Warmup, options.Concurrency),10:N0} msg/s");

            for (var round = 1; round <= options.Rounds; round++)
            {
                var rates = new double[scenarios.Length];
                for (var i = 0; i < scenarios.Length; i++)
                {
                    var cpu = new CpuMeter();
                    rates[i] = await scenarios[i].Run(options.Messages, options.Concurrency);
                    Console.WriteLine($"   round {round} {scenarios[i].Name,-12} {rates[i],10:N0} msg/s  {cpu.PerItem(options.Messages).ToString("msg")}");
                }
                result.Rounds.Add(rates);
            }
        }
        finally
        {
            foreach (var scenario in scenarios)
                await scenario.DisposeAsync();
            await Broker.Delete(options.RabbitMq,
                [rawQueue, mtQueue, HubEndpoint.QueueNameOf(sender), HubEndpoint.QueueNameOf(receiver), errorQueue],
                [mtQueue]);
        }
        return result;
    }
}
