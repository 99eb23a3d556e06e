using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpgsqlTypes;
using Rebus.Activation;
using Rebus.Bus;
using Rebus.Config;
using Rebus.Handlers;
using Rebus.Retry.Simple;
using Rebus.Sagas;
using IntegrationHub.Transport.RabbitMq;

namespace IntegrationHub.Bench;

public sealed record StartSaga(string Key, int Steps);
public sealed record SagaStep(string Key, int Number);

public sealed class StepSagaData : SagaData
{
    public string Key { get; set; } = "";
    public int Steps { get; set; }
    public int Done { get; set; }
    public long Checksum { get; set; }
    public DateTimeOffset LastStepAt { get; set; }
}

/// <summary>Started by <see cref="StartSaga"/>; each <see cref="SagaStep"/> updates the data and sends the next step to itself.</summary>
public sealed class StepSaga(IBus bus, SagaTracker tracker) : Saga<StepSagaData>, IAmInitiatedBy<StartSaga>, IHandleMessages<SagaStep>
{
    protected override void CorrelateMessages(ICorrelationConfig<StepSagaData> config)
    {
        config.Correlate<StartSaga>(m => m.Key, d => d.Key);
        config.Correlate<SagaStep>(m => m.Key, d => d.Key);
    }

    public async Task Handle(StartSaga message)
    {
        if (!IsNew) return;
        Data.Key = message.Key;
        Data.Steps = message.Steps;
        tracker.Handled();
        await bus.SendLocal(new SagaStep(message.Key, 1));
    }

    public async Task Handle(SagaStep message)
    {
        if (message.Number <= Data.Done) return; // a redelivery
        Data.Done = message.Number;
        Data.Checksum = Data.Checksum * 31 + message.Number;
        Data.LastStepAt = DateTimeOffset.UtcNow;
        tracker.Handled();
        if (message.Number >= Data.Steps)
        {
            MarkAsComplete();
            tracker.Completed();
        }
        else
        {
            await bus.SendLocal(new SagaStep(message.Key, message.Number + 1));
        }
    }
}

/// <summary>Keeps K sagas in flight: a new one starts when one completes.</summary>
public sealed class SagaTracker
{
    SemaphoreSlim _slots = new(0);
    readonly Countdown _completed = new();
    int _handled;

    public int HandledCount => Volatile.Read(ref _handled);

    public void Handled() => Interlocked.Increment(ref _handled);

    public void Completed()
    {
        _slots.Release();
        _completed.Signal();
    }

    /// <summary>Runs <paramref name="sagas"/> sagas, <paramref name="parallel"/> at once; transactions (messages handled) per second.</summary>
    public async Task<double> Run(int sagas, int parallel, int steps, Func<string, Task> start, string name)
    {
        _slots = new SemaphoreSlim(parallel);
        _completed.Reset(sagas);
        Volatile.Write(ref _handled, 0);
        var rate = await Measure.Rate(sagas * (steps + 1), async () =>
        {
            for (var i = 0; i < sagas; i++)
            {
                await _slots.WaitAsync();
                await start(Guid.NewGuid().ToString("N"));
            }
            await _completed.Wait(Measure.RoundTimeout, name);
        });
        if (HandledCount < sagas * (steps + 1))
            throw new InvalidOperationException($"{name}: {HandledCount} saga messages handled, expected {sagas * (steps + 1)}");
        return rate;
    }
}

public interface ISagaScenario : IAsyncDisposable
{
    string Name { get; }
    Task Start();
    Task<double> Run(int sagas, int parallel, int steps);
}

/// <summary>
/// Npgsql alone doing the row work of a saga step with an outbox, K chains of sequential transactions:
/// BEGIN; INSERT/UPDATE/DELETE the saga row; INSERT inbox row; INSERT outbox row; COMMIT; then DELETE the outbox row.
/// </summary>
public sealed class RawPostgresScenario(string connectionString) : ISagaScenario
{
    public string Name => "raw-pg";

    public async Task Start()
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            CREATE SCHEMA bench;
            CREATE TABLE bench.saga (id uuid PRIMARY KEY, revision integer NOT NULL, data jsonb NOT NULL);
            CREATE TABLE bench.inbox (message_id text PRIMARY KEY, processed_at timestamptz NOT NULL DEFAULT now());
            CREATE TABLE bench.outbox (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, destination text NOT NULL,
                                       body bytea NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
            """, connection);
        await command.ExecuteNonQueryAsync();
    }

    public async Task<double> Run(int sagas, int parallel, int steps)
    {
        var body = System.Text.Encoding.UTF8.GetBytes("{\"Key\":\"" + Guid.NewGuid().ToString("N") + "\",\"Number\":1}");
        return await Measure.Rate(sagas * (steps + 1), () => Measure.Concurrently(sagas, parallel, async _ =>
        {
            var id = Guid.NewGuid();
            for (var step = 0; step <= steps; step++)
                await Transaction(id, step, steps, body);
        }));
    }

    async Task Transaction(Guid id, int step, int steps, byte[] body)
    {
        long outboxId;
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            var sql = step == 0 ? "INSERT INTO bench.saga (id, revision, data) VALUES (@id, 0, @data)"
                : step == steps ? "DELETE FROM bench.saga WHERE id = @id AND revision = @revision"
                : "UPDATE bench.saga SET revision = revision + 1, data = @data WHERE id = @id AND revision = @revision";
            await using (var saga = new NpgsqlCommand(sql, connection, transaction))
            {
                saga.Parameters.Add(new("id", NpgsqlDbType.Uuid) { Value = id });
                saga.Parameters.Add(new("revision", NpgsqlDbType.Integer) { Value = step - 1 });
                saga.Parameters.Add(new("data", NpgsqlDbType.Jsonb) { Value = $"{{\"Key\":\"{id:N}\",\"Done\":{step},\"Steps\":{steps}}}" });
                if (await saga.ExecuteNonQueryAsync() != 1) throw new InvalidOperationException($"saga {id} step {step}: row not written");
            }
            await using (var inbox = new NpgsqlCommand("INSERT INTO bench.inbox (message_id) VALUES (@id)", connection, transaction))
            {
                inbox.Parameters.AddWithValue("id", $"{id:N}/{step}");
                await inbox.ExecuteNonQueryAsync();
            }
            await using (var outbox = new NpgsqlCommand("INSERT INTO bench.outbox (destination, body) VALUES ('bench', @body) RETURNING id", connection, transaction))
            {
                outbox.Parameters.AddWithValue("body", body);
                outboxId = (long)(await outbox.ExecuteScalarAsync())!;
            }
            await transaction.CommitAsync();
        }

        // the hub deletes sent outbox rows on a connection of its own, after the send
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var delete = new NpgsqlCommand("DELETE FROM bench.outbox WHERE id = @id", connection);
            delete.Parameters.AddWithValue("id", outboxId);
            await delete.ExecuteNonQueryAsync();
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>The hub: RabbitMQ transport + PostgreSQL persistence (inbox, PostgreSqlSagaStorage, outbox, send after commit).</summary>
public sealed class HubSagaScenario(string rabbitMq, string postgres, string endpointName, string errorQueue) : ISagaScenario
{
    readonly SagaTracker _tracker = new();
    HubHost? _host;
    IBus? _bus;

    public string Name => "hub";

    public async Task Start()
    {
        _host = await HubHost.Start(new Dictionary<string, string?>
        {
            ["Hub:Transport"] = "RabbitMq",
            ["Hub:Persistence"] = "PostgreSql",
            ["Hub:ErrorQueue"] = errorQueue,
            ["ConnectionStrings:RabbitMq"] = rabbitMq,
            ["ConnectionStrings:Postgres"] = postgres,
        }, new BenchEndpoint(endpointName, e => { e.Services.AddSingleton(_tracker); e.Handler<StepSaga>(); }));
        _bus = _host.Bus(endpointName);
    }

    public Task<double> Run(int sagas, int parallel, int steps) =>
        _tracker.Run(sagas, parallel, steps, key => _bus!.SendLocal(new StartSaga(key, steps)), Name);

    public async ValueTask DisposeAsync()
    {
        if (_host is not null) await _host.DisposeAsync();
    }
}

/// <summary>
/// Rebus with its own Rebus.PostgreSql saga storage on the hub's RabbitMQ transport: no inbox, no outbox
/// (sends go to the broker when Rebus commits), same workers and parallelism as the hub's defaults.
/// </summary>
public sealed class RebusPostgresScenario(string rabbitMq, string postgres, string queue, string errorQueue) : ISagaScenario
{
    readonly SagaTracker _tracker = new();
    BuiltinHandlerActivator? _activator;
    IBus? _bus;

    public string Name => "rebus-pg";

    public Task Start()
    {
        _activator = new BuiltinHandlerActivator();
        _activator.Register((bus, _) => new StepSaga(bus, _tracker));
        _bus = Configure.With(_activator)
            .Logging(l => l.None())
            .Transport(t => t.UseHubRabbitMq(rabbitMq, queue).Prefetch(100))
            .Sagas(s => s.StoreInPostgres(postgres, "rebus_sagas", "rebus_saga_index"))
            .Options(o =>
            {
                o.SetNumberOfWorkers(1);
                o.SetMaxParallelism(32);
                o.RetryStrategy(errorQueueName: errorQueue);
            })
            .Start();
        return Task.CompletedTask;
    }

    public Task<double> Run(int sagas, int parallel, int steps) =>
        _tracker.Run(sagas, parallel, steps, key => _bus!.SendLocal(new StartSaga(key, steps)), Name);

    public ValueTask DisposeAsync()
    {
        _activator?.Dispose(); // disposes the bus
        return ValueTask.CompletedTask;
    }
}

public static class SagaBench
{
    public static async Task<BenchResult> Run(BenchOptions options)
    {
        var id = Measure.RunId;
        var database = $"hub_bench_{id}";
        var postgres = new NpgsqlConnectionStringBuilder(options.Postgres) { Database = database }.ConnectionString;
        var endpoint = $"BenchSaga{id}";
        var rebusQueue = $"bench.rebuspg.{id}";
        var errorQueue = $"bench.error.saga.{id}";
        var transactions = options.Sagas * (options.Steps + 1);

        Console.WriteLine($"== saga: {options.Sagas} sagas per round, {options.ParallelSagas} in flight, 1 Start + {options.Steps} Steps each " +
                          $"({transactions} transactions per round), rounds={options.Rounds}, database {database}");
        await Admin(options.Postgres, $"CREATE DATABASE {database}");
        ISagaScenario[] scenarios =
        [
            new RawPostgresScenario(postgres),
            new HubSagaScenario(options.RabbitMq, postgres, endpoint, errorQueue),
            new RebusPostgresScenario(options.RabbitMq, postgres, rebusQueue, errorQueue),
        ];
        var result = new BenchResult("saga", "steps/s", scenarios.Select(s => s.Name).ToArray());
        var failed = new HashSet<int>();
        try
        {
            for (var i = 0; i < scenarios.Length; i++)
            {
                try
                {
                    await scenarios[i].Start();
                    var warm = await scenarios[i].Run(Math.Max(1, options.Sagas / 4), options.ParallelSagas, options.Steps);
                    Console.WriteLine($"   warm-up {scenarios[i].Name,-12} {warm,10:N0} steps/s");
                }
                catch (Exception exception) when (i == 2)
                {
                    // Rebus.PostgreSql is an optional comparison; the others must work
                    Console.WriteLine($"   {scenarios[i].Name} left out: {exception.GetType().Name}: {exception.Message}");
                    failed.Add(i);
                }
            }

            for (var round = 1; round <= options.Rounds; round++)
            {
                var rates = new double[scenarios.Length];
                for (var i = 0; i < scenarios.Length; i++)
                {
                    if (failed.Contains(i))
                    {
                        rates[i] = double.NaN;
                        continue;
                    }
                    try
                    {
                        rates[i] = await scenarios[i].Run(options.Sagas, options.ParallelSagas, options.Steps);
                        Console.WriteLine($"   round {round} {scenarios[i].Name,-12} {rates[i],10:N0} steps/s");
                    }
                    catch (Exception exception) when (i == 2)
                    {
                        Console.WriteLine($"   {scenarios[i].Name} left out from round {round} on: {exception.GetType().Name}: {exception.Message}");
                        failed.Add(i);
                        rates[i] = double.NaN;
                    }
                }
                result.Rounds.Add(rates);
            }
        }
        finally
        {
            foreach (var scenario in scenarios)
                await scenario.DisposeAsync();
            NpgsqlConnection.ClearAllPools();
            await Broker.Delete(options.RabbitMq, [Hosting.HubEndpoint.QueueNameOf(endpoint), rebusQueue, errorQueue], []);
            await Admin(options.Postgres, $"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
        }
        return result;
    }

    static async Task Admin(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
