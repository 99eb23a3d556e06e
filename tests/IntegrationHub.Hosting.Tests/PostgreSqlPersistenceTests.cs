using IntegrationHub.Hosting.Persistence;
using IntegrationHub.Hosting;
using IntegrationHub.Testing;
using Microsoft.Extensions.DependencyInjection;
using Rebus.Bus;
using Rebus.Config;
using Rebus.Handlers;
using Rebus.Sagas;

namespace IntegrationHub.Hosting.Tests;

public sealed record Bump(string Key, bool Fail);
public sealed record Bumped(string Key, int Count);

/// <summary>Counts bumps per key and announces each new count; throws after both when asked to.</summary>
public sealed class CounterSaga(IBus bus) : Saga<CounterSagaData>, IAmInitiatedBy<Bump>
{
    protected override void CorrelateMessages(ICorrelationConfig<CounterSagaData> config) =>
        config.Correlate<Bump>(m => m.Key, d => d.Key);

    public async Task Handle(Bump message)
    {
        Data.Key = message.Key;
        Data.Count++;
        await bus.Publish(new Bumped(message.Key, Data.Count));
        if (message.Fail)
            throw new InvalidOperationException("failing after changing the saga and sending a message");
    }
}

public sealed class CounterSagaData : SagaData
{
    public string Key { get; set; } = "";
    public int Count { get; set; }
}

/// <summary>Saga state and the messages a handler sends commit together, through the outbox, on RabbitMQ + PostgreSQL.</summary>
public sealed class PostgreSqlPersistenceTests(DurableInfrastructure infrastructure)
    : IClassFixture<DurableInfrastructure>, IAsyncLifetime
{
    readonly MessageRecorder _recorder = new();
    readonly string _counter = Names.UniqueEndpoint("Counter");
    readonly string _listener = Names.UniqueEndpoint("Listener");
    readonly string _errorQueue = "test.error." + Guid.NewGuid().ToString("N")[..8];
    HubTestHost _host = null!;

    public async Task InitializeAsync()
    {
        var settings = infrastructure.Settings();
        settings["Hub:ErrorQueue"] = _errorQueue;
        settings["Hub:Retries:ImmediateAttempts"] = "1";
        settings["Hub:Retries:DelayedRetries"] = "false";
        _host = await HubTestHost.Start(settings,
            new TestEndpoint(_counter, e => e.Handler<CounterSaga>()),
            new TestEndpoint(_listener, e => e.Recording<Bumped>(_recorder), typeof(Bumped)));
        // Once, before any test: concurrent CREATE TABLE IF NOT EXISTS can fail on PostgreSQL's catalog.
        await NotesTable();
    }

    public async Task DisposeAsync()
    {
        foreach (var gate in _gates) gate.TrySetResult(); // a failed test must not leave the group commit's writers waiting
        await _host.DisposeAsync();
        await infrastructure.CleanUp(HubEndpoint.QueueNameOf(_counter), HubEndpoint.QueueNameOf(_listener), _errorQueue);
    }

    [Fact]
    public async Task Failed_handler_leaves_neither_saga_change_nor_sent_message()
    {
        var key = Guid.NewGuid().ToString();
        var bus = _host.Bus(_counter);
        await bus.SendLocal(new Bump(key, Fail: false));
        await _recorder.WaitFor<Bumped>(b => b.Key == key && b.Count == 1);

        await bus.SendLocal(new Bump(key, Fail: true));
        Assert.Single(await infrastructure.TakeMessages(_host, _errorQueue, 1));

        Assert.Equal(1, await SagaCount(key));
        await bus.SendLocal(new Bump(key, Fail: false));
        await _recorder.WaitFor<Bumped>(b => b.Key == key && b.Count == 2);
        await OutboxDrained();
        Assert.Equal([1, 2], _recorder.OfType<Bumped>().Where(b => b.Key == key).Select(b => b.Count).Order());
    }

    [Fact]
    public async Task Successful_handler_commits_saga_change_and_message_exactly_once()
    {
        var key = Guid.NewGuid().ToString();
        await _host.Bus(_counter).SendLocal(new Bump(key, Fail: false));

        await _recorder.WaitFor<Bumped>(b => b.Key == key);
        await OutboxDrained();

        Assert.Single(_recorder.OfType<Bumped>(), b => b.Key == key);
        Assert.Equal(1, await SagaCount(key));
        Assert.Equal(0, await PostgresServer.Scalar<int>(infrastructure.PostgresConnectionString,
            $"SELECT revision FROM hub.sagas WHERE data->>'Key' = '{key}'"));
    }

    [Fact]
    public async Task Saga_state_is_readable_json_for_operators()
    {
        var key = Guid.NewGuid().ToString();
        await _host.Bus(_counter).SendLocal(new Bump(key, Fail: false));
        await _recorder.WaitFor<Bumped>(b => b.Key == key);

        var type = await PostgresServer.Scalar<string>(infrastructure.PostgresConnectionString,
            $"SELECT saga_type FROM hub.sagas WHERE data->>'Key' = '{key}'");

        Assert.StartsWith(typeof(CounterSagaData).FullName!, type);
    }

    [Fact]
    public async Task Work_outside_a_handler_commits_state_and_messages_together_or_not_at_all()
    {
        await PostgresServer.Execute("CREATE TABLE IF NOT EXISTS public.notes (key text PRIMARY KEY)", infrastructure.PostgresConnectionString);
        var transactions = _host.Services.GetRequiredService<HubBusRegistry>().Transactions(_counter);
        var bus = _host.Bus(_counter);
        var abandoned = Guid.NewGuid().ToString();
        var completed = Guid.NewGuid().ToString();

        await using (transactions.Begin())
        {
            await Note(abandoned);
            await bus.Advanced.Topics.Publish(typeof(Bumped).FullName + ", " + typeof(Bumped).Assembly.GetName().Name, new Bumped(abandoned, 1));
        }
        await using (var transaction = transactions.Begin())
        {
            await Note(completed);
            await bus.Advanced.Topics.Publish(typeof(Bumped).FullName + ", " + typeof(Bumped).Assembly.GetName().Name, new Bumped(completed, 1));
            await transaction.Complete();
        }

        await _recorder.WaitFor<Bumped>(b => b.Key == completed);
        await OutboxDrained();
        Assert.DoesNotContain(_recorder.OfType<Bumped>(), b => b.Key == abandoned);
        Assert.Equal(0, await PostgresServer.Scalar<long>(infrastructure.PostgresConnectionString, $"SELECT count(*) FROM public.notes WHERE key = '{abandoned}'"));
        Assert.Equal(1, await PostgresServer.Scalar<long>(infrastructure.PostgresConnectionString, $"SELECT count(*) FROM public.notes WHERE key = '{completed}'"));
    }

    [Fact]
    public async Task Concurrent_api_transactions_are_committed_in_groups_each_with_its_rows_and_messages()
    {
        var rows = Gated();
        var keys = Enumerable.Range(0, 150).Select(i => $"group-{i}-{Guid.NewGuid():N}").ToList();

        // The writers wait at the gate until every transaction is queued, so later groups must carry many items.
        var submitted = keys.Select(key => Task.Run(() => PublishAndComplete(rows, key))).ToList();
        await Eventually.Until(() => Task.FromResult(rows.Submitted == keys.Count), TimeSpan.FromSeconds(30), "every transaction to be queued");
        rows.Gate!.SetResult();
        var stored = await Task.WhenAll(submitted);

        Assert.All(stored, Assert.True);
        await Eventually.Until(() => Task.FromResult(keys.All(k => _recorder.OfType<Bumped>().Any(b => b.Key == k))),
            TimeSpan.FromSeconds(30), "every transaction's message to arrive");
        await OutboxDrained();
        Assert.Equal(keys.Count, rows.GroupSizes.Sum());
        Assert.True(rows.GroupSizes.Max() > 1, $"groups were {string.Join(", ", rows.GroupSizes)}");
        Assert.Equal(keys.Count, await NoteCount("group-%"));
        Assert.Equal(keys.Count, _recorder.OfType<Bumped>().Count(b => b.Key.StartsWith("group-", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Item_the_group_writer_refuses_is_neither_stored_nor_sent()
    {
        var rows = new NoteRows();
        var refused = $"refuse-{Guid.NewGuid():N}";
        var accepted = $"keep-{Guid.NewGuid():N}";

        var results = await Task.WhenAll(PublishAndComplete(rows, refused), PublishAndComplete(rows, accepted));

        Assert.Equal([false, true], results);
        await _recorder.WaitFor<Bumped>(b => b.Key == accepted);
        await OutboxDrained();
        Assert.DoesNotContain(_recorder.OfType<Bumped>(), b => b.Key == refused);
        Assert.Equal(0, await NoteCount(refused));
        Assert.Equal(1, await NoteCount(accepted));
    }

    [Fact]
    public async Task Item_that_breaks_its_group_fails_alone()
    {
        var rows = Gated();
        var poison = $"poison-{Guid.NewGuid():N}";
        var good = Enumerable.Range(0, 20).Select(i => $"good-{i}-{Guid.NewGuid():N}").ToList();

        var poisoned = Task.Run(() => PublishAndComplete(rows, poison));
        var others = good.Select(key => Task.Run(() => PublishAndComplete(rows, key))).ToList();
        await Eventually.Until(() => Task.FromResult(rows.Submitted == good.Count + 1), TimeSpan.FromSeconds(30), "every transaction to be queued");
        rows.Gate!.SetResult();

        await Assert.ThrowsAsync<Npgsql.PostgresException>(() => poisoned);
        Assert.All(await Task.WhenAll(others), Assert.True);
        await Eventually.Until(() => Task.FromResult(good.All(k => _recorder.OfType<Bumped>().Any(b => b.Key == k))),
            TimeSpan.FromSeconds(30), "the good transactions' messages to arrive");
        await OutboxDrained();
        Assert.DoesNotContain(_recorder.OfType<Bumped>(), b => b.Key == poison);
        Assert.Equal(0, await NoteCount(poison));
        foreach (var key in good) Assert.Equal(1, await NoteCount(key));
    }

    [Fact]
    public async Task Lost_database_fails_the_whole_group_at_once_instead_of_retrying_each_item()
    {
        var rows = Gated(loseConnectionOn: "lost-");
        var keys = Enumerable.Range(0, 10).Select(i => $"lost-{i}-{Guid.NewGuid():N}").ToList();

        var submitted = keys.Select(key => Task.Run(() => PublishAndComplete(rows, key))).ToList();
        await Eventually.Until(() => Task.FromResult(rows.Submitted == keys.Count), TimeSpan.FromSeconds(30), "every transaction to be queued");
        rows.Gate!.SetResult();

        foreach (var transaction in submitted)
            await Assert.ThrowsAsync<Npgsql.NpgsqlException>(() => transaction);
        Assert.Equal(keys.Count, rows.Calls.Sum());           // every item was tried once, in whatever groups it fell
        Assert.True(rows.Calls.Count < keys.Count, $"the writer was called {rows.Calls.Count} times for {keys.Count} items");
        Assert.Equal(0, await NoteCount("lost-%"));
    }

    [Fact]
    public async Task Group_commit_refuses_a_transaction_that_already_ran_sql_of_its_own()
    {
        await NotesTable();
        var transactions = _host.Services.GetRequiredService<HubBusRegistry>().Transactions(_counter);
        var key = $"mixed-{Guid.NewGuid():N}";

        await using (var transaction = transactions.Begin())
        {
            await using (var insert = await new HandlerDatabase().Command($"INSERT INTO public.group_notes (key) VALUES ('{key}')"))
                await insert.ExecuteNonQueryAsync();
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => transaction.Complete(new NoteRows(), key));
            Assert.Contains("group writer", error.Message);
        }

        Assert.Equal(0, await NoteCount(key));
    }

    async Task<bool> PublishAndComplete(NoteRows rows, string key)
    {
        var transactions = _host.Services.GetRequiredService<HubBusRegistry>().Transactions(_counter);
        await using var transaction = transactions.Begin();
        await _host.Bus(_counter).Advanced.Topics.Publish(typeof(Bumped).FullName + ", " + typeof(Bumped).Assembly.GetName().Name, new Bumped(key, 1));
        var completing = transaction.Complete(rows, key); // queued for the group commit by the time it returns
        rows.Queued();
        return await completing;
    }

    Task NotesTable() => PostgresServer.Execute(
        "CREATE TABLE IF NOT EXISTS public.group_notes (key text PRIMARY KEY CHECK (key NOT LIKE 'poison%'))", infrastructure.PostgresConnectionString);

    Task<long> NoteCount(string pattern) => PostgresServer.Scalar<long>(infrastructure.PostgresConnectionString,
        $"SELECT count(*) FROM public.group_notes WHERE key LIKE '{pattern}'");

    /// <summary>Writes keys set-based; refuses keys starting with "refuse"; can hold every group at a gate.</summary>
    readonly List<TaskCompletionSource> _gates = [];

    NoteRows Gated(string? loseConnectionOn = null)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _gates.Add(gate);
        return new NoteRows { Gate = gate, LoseConnectionOn = loseConnectionOn };
    }

    sealed class NoteRows : IGroupWriter<string>
    {
        int _submitted;
        public TaskCompletionSource? Gate { get; init; }
        public string? LoseConnectionOn { get; init; }
        public System.Collections.Concurrent.ConcurrentQueue<int> Calls { get; } = new();
        public System.Collections.Concurrent.ConcurrentQueue<int> GroupSizes { get; } = new();
        public int Submitted => Volatile.Read(ref _submitted);
        public void Queued() => Interlocked.Increment(ref _submitted);

        public async Task<bool[]> Write(Npgsql.NpgsqlConnection connection, Npgsql.NpgsqlTransaction transaction, IReadOnlyList<string> items, CancellationToken cancellationToken)
        {
            if (Gate is not null) await Gate.Task;
            Calls.Enqueue(items.Count);
            if (LoseConnectionOn is not null && items.Any(k => k.StartsWith(LoseConnectionOn, StringComparison.Ordinal)))
                throw new Npgsql.NpgsqlException("Exception while reading from stream (the connection was lost)");
            var stored = items.Select(k => !k.StartsWith("refuse", StringComparison.Ordinal)).ToArray();
            await using var insert = new Npgsql.NpgsqlCommand("INSERT INTO public.group_notes (key) SELECT unnest(@keys)", connection, transaction);
            insert.Parameters.AddWithValue("keys", items.Where((_, i) => stored[i]).ToArray());
            await insert.ExecuteNonQueryAsync(cancellationToken);
            GroupSizes.Enqueue(items.Count);
            return stored;
        }
    }

    static async Task Note(string key)
    {
        await using var command = await new HandlerDatabase().Command("INSERT INTO public.notes (key) VALUES (@key)");
        command.Parameters.AddWithValue("key", key);
        await command.ExecuteNonQueryAsync();
    }

    Task<int> SagaCount(string key) => PostgresServer.Scalar<int>(infrastructure.PostgresConnectionString,
        $"SELECT (data->>'Count')::int FROM hub.sagas WHERE data->>'Key' = '{key}'");

    Task OutboxDrained() => Eventually.Until(async () => await PostgresServer.Scalar<long>(infrastructure.PostgresConnectionString,
        "SELECT count(*) FROM hub.outbox") == 0, TimeSpan.FromSeconds(30), "the outbox to have sent everything");
}

public sealed class MigrationTests : IAsyncLifetime
{
    readonly string _database = "hub_migrate_" + Guid.NewGuid().ToString("N")[..8];

    string ConnectionString => new Npgsql.NpgsqlConnectionStringBuilder(PostgresServer.ConnectionString) { Database = _database }.ConnectionString;

    public Task InitializeAsync() => PostgresServer.Execute($"CREATE DATABASE {_database} OWNER hub");

    public Task DisposeAsync() => PostgresServer.DropDatabase(_database);

    [Fact]
    public async Task Migrations_apply_once_when_many_instances_start_together()
    {
        var runs = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => HubDatabase.MigrateAsync(ConnectionString)));

        Assert.Equal(HubDatabase.Migrations.Count, runs.Sum(r => r.Count));
        Assert.Equal(HubDatabase.Migrations.Count, await PostgresServer.Scalar<int>(ConnectionString, "SELECT count(*) FROM hub.schema_migrations WHERE scope = 'hub'"));
        Assert.Empty(await HubDatabase.MigrateAsync(ConnectionString));
    }

    [Fact]
    public async Task Unreachable_database_is_reported_with_where_it_was_looked_for()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            HubDatabase.MigrateAsync("Host=127.0.0.1;Port=1;Username=hub;Password=hub;Database=hub;Timeout=2"));

        Assert.Contains("Cannot reach PostgreSQL at 127.0.0.1:1/hub", error.Message);
        Assert.DoesNotContain("Password", error.Message);
    }
}
