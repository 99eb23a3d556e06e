using IntegrationHub.Testing;

namespace IntegrationHub.Ctl.Tests;

public sealed record Flaky(string Id);

/// <summary>Fails while the test says so.</summary>
public sealed class FlakyHandler(FlakySwitch flaky, MessageRecorder recorder) : Rebus.Handlers.IHandleMessages<Flaky>
{
    public Task Handle(Flaky message)
    {
        if (flaky.Failing) throw new InvalidOperationException($"the handler of {message.Id} fails for now");
        recorder.Record(message, new Dictionary<string, string>());
        return Task.CompletedTask;
    }
}

public sealed class FlakySwitch
{
    public volatile bool Failing = true;
}

/// <summary>
/// The operator's round trip: an endpoint of the hub (RabbitMQ + PostgreSQL) dead-letters a message after its retries,
/// the fault is fixed, <c>hubctl errors retry</c> returns it, and the endpoint handles it, once.
/// </summary>
public sealed class DeadLetteredRetryTests : IAsyncLifetime
{
    readonly IsolatedDurableInfrastructure _infrastructure = new() { VirtualHostLabel = "ctl-retry" };
    readonly MessageRecorder _recorder = new();
    readonly FlakySwitch _flaky = new();
    HubTestHost _host = null!;

    public async Task InitializeAsync()
    {
        await _infrastructure.InitializeAsync();
        var settings = _infrastructure.Settings();
        settings["Hub:Retries:ImmediateAttempts"] = "2";
        settings["Hub:Retries:DelayedRetries"] = "false";
        _host = await HubTestHost.Start(settings, new TestEndpoint("Orders", e => e.With(_flaky).With(_recorder).Handler<FlakyHandler>()));
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _infrastructure.DisposeAsync();
    }

    [Fact]
    public async Task Message_the_hub_dead_lettered_is_handled_once_after_hubctl_errors_retry()
    {
        var id = Guid.NewGuid().ToString("N");
        await _host.Bus("Orders").SendLocal(new Flaky(id));
        await ErrorQueueHolds(1);

        var (listed, list, _) = await Hubctl.Run("errors", "list", "--json", "--rabbitmq", _infrastructure.RabbitMqConnectionString);
        Assert.Equal(0, listed);
        Assert.Contains("Flaky", list);
        Assert.True(list.Contains($"the handler of {id} fails for now"), list);

        _flaky.Failing = false;
        var (code, output, error) = await Hubctl.Run("errors", "retry", "--all", "--rabbitmq", _infrastructure.RabbitMqConnectionString);

        Assert.True(code == 0, error);
        Assert.Contains("-> hub.orders", output);
        await _recorder.WaitFor<Flaky>(f => f.Id == id);
        await ErrorQueueHolds(0);
        Assert.Single(_recorder.OfType<Flaky>(), f => f.Id == id);
    }

    Task ErrorQueueHolds(uint count) => Eventually.Until(
        async () => await _infrastructure.Broker.CountMessagesIfDeclaredAsync("hub.error") == count,
        TimeSpan.FromSeconds(30), $"hub.error holds {count} message(s)");
}
