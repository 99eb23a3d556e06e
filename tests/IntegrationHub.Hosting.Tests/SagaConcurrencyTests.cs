using IntegrationHub.Testing;
using Rebus.Bus;
using Rebus.Handlers;
using Rebus.Sagas;

namespace IntegrationHub.Hosting.Tests;

public sealed record Rename(string From, string To);

/// <summary>A counter whose correlation value can change: <see cref="Rename"/> moves it to another name.</summary>
public sealed class NamedCounterSaga(IBus bus) : Saga<NamedCounterData>, IAmInitiatedBy<Bump>, IHandleMessages<Rename>
{
    protected override void CorrelateMessages(ICorrelationConfig<NamedCounterData> config)
    {
        config.Correlate<Bump>(m => m.Key, d => d.Name);
        config.Correlate<Rename>(m => m.From, d => d.Name);
    }

    public async Task Handle(Bump message)
    {
        Data.Name = message.Key;
        Data.Count++;
        await bus.Publish(new Bumped(message.Key, Data.Count));
    }

    public async Task Handle(Rename message)
    {
        if (IsNew) return; // nothing by that name
        Data.Name = message.To;
        await bus.Publish(new Bumped(message.To, Data.Count));
    }
}

public sealed class NamedCounterData : SagaData
{
    public string Name { get; set; } = "";
    public int Count { get; set; }
}

/// <summary>
/// Saga writes are deferred to the commit, checked there by revision and unique index: steps of one saga handled at the
/// same time are serialised by retries, none lost and none counted twice; a changed correlation value moves the index.
/// </summary>
public sealed class SagaConcurrencyTests(DurableInfrastructure infrastructure) : IClassFixture<DurableInfrastructure>, IAsyncLifetime
{
    const int Bumps = 30;
    readonly MessageRecorder _recorder = new();
    readonly string _counter = Names.UniqueEndpoint("NamedCounter");
    readonly string _listener = Names.UniqueEndpoint("NamedListener");
    readonly string _errorQueue = "test.error." + Guid.NewGuid().ToString("N")[..8];
    HubTestHost _host = null!;

    public async Task InitializeAsync()
    {
        var settings = infrastructure.Settings();
        settings["Hub:ErrorQueue"] = _errorQueue;
        settings["Hub:MaxParallelism"] = "16";
        settings["Hub:Retries:ImmediateAttempts"] = "50"; // conflicts are retried at once; none may reach the error queue
        settings["Hub:Retries:DelayedRetries"] = "false";
        _host = await HubTestHost.Start(settings,
            new TestEndpoint(_counter, e => e.Handler<NamedCounterSaga>()),
            new TestEndpoint(_listener, e => e.Recording<Bumped>(_recorder), typeof(Bumped)));
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await infrastructure.CleanUp(HubEndpoint.QueueNameOf(_counter), HubEndpoint.QueueNameOf(_listener), _errorQueue);
    }

    [Fact]
    public async Task Steps_of_one_saga_handled_at_once_each_count_once_and_none_is_lost()
    {
        var key = Guid.NewGuid().ToString();
        var bus = _host.Bus(_counter);
        // All at once: the first ones race to create the saga (unique index), the rest to update it (revision).
        await Task.WhenAll(Enumerable.Range(0, Bumps).Select(_ => bus.SendLocal(new Bump(key, Fail: false))));

        await _recorder.WaitFor<Bumped>(b => b.Key == key && b.Count == Bumps);
        await OutboxDrained();

        Assert.Equal(Enumerable.Range(1, Bumps), _recorder.OfType<Bumped>().Where(b => b.Key == key).Select(b => b.Count).Order());
        Assert.Equal(Bumps, await PostgresServer.Scalar<int>(infrastructure.PostgresConnectionString,
            $"SELECT (data->>'Count')::int FROM hub.sagas WHERE data->>'Name' = '{key}'"));
        Assert.Equal(1L, await PostgresServer.Scalar<long>(infrastructure.PostgresConnectionString,
            $"SELECT count(*) FROM hub.saga_index WHERE value = '{key}'"));
        Assert.Equal(0u, await infrastructure.Broker.CountMessagesIfDeclaredAsync(_errorQueue));
    }

    [Fact]
    public async Task Renamed_saga_is_found_by_its_new_name_and_no_longer_by_the_old()
    {
        var (before, after) = (Guid.NewGuid().ToString(), Guid.NewGuid().ToString());
        var bus = _host.Bus(_counter);
        await bus.SendLocal(new Bump(before, Fail: false));
        await _recorder.WaitFor<Bumped>(b => b.Key == before && b.Count == 1);
        await bus.SendLocal(new Rename(before, after));
        await _recorder.WaitFor<Bumped>(b => b.Key == after && b.Count == 1);

        await bus.SendLocal(new Bump(after, Fail: false));
        await _recorder.WaitFor<Bumped>(b => b.Key == after && b.Count == 2);
        await bus.SendLocal(new Bump(before, Fail: false)); // a new saga: the old name is gone from the index
        await _recorder.WaitFor<Bumped>(b => b.Key == before && b.Count == 1 && _recorder.OfType<Bumped>().Count(x => x.Key == before) == 2);

        Assert.Equal(1L, await PostgresServer.Scalar<long>(infrastructure.PostgresConnectionString,
            $"SELECT count(*) FROM hub.saga_index WHERE value = '{after}'"));
        Assert.Equal(2, await PostgresServer.Scalar<int>(infrastructure.PostgresConnectionString,
            $"SELECT (data->>'Count')::int FROM hub.sagas WHERE data->>'Name' = '{after}'"));
    }

    [Fact]
    public async Task Step_that_keeps_the_correlation_value_leaves_the_saga_index_row_as_it_was()
    {
        var key = Guid.NewGuid().ToString();
        var bus = _host.Bus(_counter);
        await bus.SendLocal(new Bump(key, Fail: false));
        await _recorder.WaitFor<Bumped>(b => b.Key == key && b.Count == 1);
        var indexRowVersion = await IndexRowVersion(key);

        await bus.SendLocal(new Bump(key, Fail: false));
        await _recorder.WaitFor<Bumped>(b => b.Key == key && b.Count == 2);

        Assert.Equal(indexRowVersion, await IndexRowVersion(key)); // xmin changes with every rewrite of the row
        Assert.Equal(1, await PostgresServer.Scalar<int>(infrastructure.PostgresConnectionString,
            $"SELECT revision FROM hub.sagas WHERE data->>'Name' = '{key}'"));
    }

    Task<string?> IndexRowVersion(string key) => PostgresServer.Scalar<string>(infrastructure.PostgresConnectionString,
        $"SELECT xmin::text FROM hub.saga_index WHERE value = '{key}'");

    Task OutboxDrained() => Eventually.Until(async () => await PostgresServer.Scalar<long>(infrastructure.PostgresConnectionString,
        $"SELECT count(*) FROM hub.outbox WHERE endpoint = '{_counter}'") == 0, TimeSpan.FromSeconds(30), "the outbox to have sent everything");
}
