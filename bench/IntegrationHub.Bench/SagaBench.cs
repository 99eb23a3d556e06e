using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpgsqlTypes;
using Rebus.Activation;
using Rebus.Bus;
using Rebus.Config;
using Rebus.Handlers;
using Rebus.Retry.Simple;
using Rebus.Sagas;
using System.Diagnostics.Metrics;
using IntegrationHub.Hosting.Observability;
using IntegrationHub.Transport.RabbitMq;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

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
        tracker.Handled(message.Key);
        await bus.SendLocal(new SagaStep(message.Key, 1));
    }

    public async Task Handle(SagaStep message)
    {
        if (message.Number <= Data.Done) return; // a redelivery
        Data.Done = message.Number;
        Data.Checksum = Data.Checksum * 31 + message.Number;
        Data.LastStepAt = DateTimeOffset.UtcNow;
        tracker.Handled(message.Key);
        if (message.Number >= Data.Steps)
        {
            MarkAsComplete();
            tracker.Completed(message.Key);
        }
        else
        {
            await bus.SendLocal(new SagaStep(message.Key, message.Number + 1));
        }
    }
}

/// <summary>Keeps K sagas in flight: a new one starts when one completes. Records each step's latency.</summary>
public sealed class SagaTracker
{
    SemaphoreSlim _slots = new(0);
    readonly Countdown _completed = new();
    readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _lastStep = new();
    int _handled;

    public int HandledCount => Volatile.Read(ref _handled);

    public StepLatencies Latencies { get; } = new();

    /// <summary>A step of <paramref name="key"/> was handled: its latency is the time since the previous one (or the start).</summary>
    public void Handled(string key)
    {
        Interlocked.Increment(ref _handled);
        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        var previous = _lastStep.GetValueOrDefault(key);
        _lastStep[key] = now;
        if (previous != 0) Latencies.Add(System.Diagnostics.Stopwatch.GetElapsedTime(previous, now));
    }

    public void Completed(string key)
    {
        _lastStep.TryRemove(key, out _);
        _slots.Release();
        _completed.Signal();
    }

    /// <summary>Runs <paramref name="sagas"/> sagas, <paramref name="parallel"/> at once; transactions (messages handled) per second.</summary>
    public async Task<double> Run(int sagas, int parallel, int steps, Func<string, Task> start, string name)
    {
        _slots = new SemaphoreSlim(parallel);
        _completed.Reset(sagas);
        Latencies.Clear();
        Volatile.Write(ref _handled, 0);
        var rate = await Measure.Rate(sagas * (steps + 1), async () =>
        {
            for (var i = 0; i < sagas; i++)
            {
                await _slots.WaitAsync();
                var key = Guid.NewGuid().ToString("N");
                _lastStep[key] = System.Diagnostics.Stopwatch.GetTimestamp();
                await start(key);
            }
            await _completed.Wait(Measure.RoundTimeout, name);
        });
        if (HandledCount < sagas * (steps + 1))
            throw new InvalidOperationException($"{name}: {HandledCount} saga messages handled, expected {sagas * (steps + 1)}");
        return rate;
    }
}

/// <summary>Step latencies of one round (thread-safe), as percentiles in milliseconds.</summary>
public sealed class StepLatencies
{
    readonly System.Collections.Concurrent.ConcurrentQueue<double> _ms = new();

    public void Add(TimeSpan latency) => _ms.Enqueue(latency.TotalMilliseconds);

    public void Clear() => _ms.Clear();

    public (double P50, double P99) Percentiles()
    {
        var sorted = _ms.ToArray();
        Array.Sort(sorted);
        return sorted.Length == 0 ? (double.NaN, double.NaN) : (At(sorted, 0.50), At(sorted, 0.99));
    }

    static double At(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}

/// <summary>
/// One point of the curve: <see cref="InFlight"/> conversations open at once, and the endpoint settings chosen for it
/// (handlers at once, broker prefetch, connection pool), the same for every scenario.
/// </summary>
public sealed record SagaPoint(int InFlight, int Parallelism, ushort Prefetch, int PoolSize, int Sagas)
{
    public const int MaxParallelism = 64;

    public static SagaPoint For(int inFlight, int sagas)
    {
        var parallelism = Math.Min(inFlight, MaxParallelism);
        return new SagaPoint(inFlight, parallelism, (ushort)Math.Min(2 * parallelism, 1000), parallelism + 16, Math.Max(sagas, 2 * inFlight));
    }

    /// <summary>
    /// A pool of its own per scenario (Application Name), so one scenario's idle connections can be closed before the
    /// next runs; and for every scenario the Npgsql settings the hub uses by default (prepared statements, no reset per use).
    /// </summary>
    public string Postgres(string connectionString, string scenario) => new Npgsql.NpgsqlConnectionStringBuilder(connectionString)
    {
        MaxPoolSize = PoolSize,
        ApplicationName = $"bench-{scenario}",
        MaxAutoPrepare = 32,
        AutoPrepareMinUsages = 2,
        NoResetOnClose = true,
    }.ConnectionString;

    public override string ToString() => $"{InFlight} in flight (parallelism {Parallelism}, prefetch {Prefetch}, pool {PoolSize}, {Sagas} sagas/round)";
}

public interface ISagaScenario : IAsyncDisposable
{
    string Name { get; }

    /// <summary>Connects with the settings of <paramref name="point"/>; called once per point, after the previous point's Dispose.</summary>
    Task Start(SagaPoint point);

    Task<double> Run(int sagas, int parallel, int steps);

    /// <summary>The step latencies of the last <see cref="Run"/>.</summary>
    StepLatencies Latencies { get; }

    /// <summary>The database connection string it uses (its own pool), to close its idle connections when it is not running.</summary>
    string Postgres { get; }
}

/// <summary>The saga row work of one step, as the raw scenarios do it (what the hub's storage does, without a framework).</summary>
static class RawSagaRows
{
    /// <summary>Tables of their own per scenario (schema), so one scenario's rows and indexes do not slow another.</summary>
    public static async Task Create(string connectionString, string schema)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"""
            CREATE SCHEMA IF NOT EXISTS {schema};
            CREATE TABLE IF NOT EXISTS {schema}.saga (id uuid PRIMARY KEY, revision integer NOT NULL, data jsonb NOT NULL);
            CREATE TABLE IF NOT EXISTS {schema}.inbox (message_id text PRIMARY KEY, processed_at timestamptz NOT NULL DEFAULT now());
            CREATE TABLE IF NOT EXISTS {schema}.outbox (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, destination text NOT NULL,
                                       body bytea NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
            """, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>INSERT (step 0), UPDATE by revision, or DELETE (last step) of the saga row; one row changed when all is well.</summary>
    public static NpgsqlBatchCommand SagaWrite(string schema, Guid id, int step, int steps)
    {
        var sql = step == 0 ? $"INSERT INTO {schema}.saga (id, revision, data) VALUES (@id, 0, @data)"
            : step == steps ? $"DELETE FROM {schema}.saga WHERE id = @id AND revision = @revision"
            : $"UPDATE {schema}.saga SET revision = revision + 1, data = @data WHERE id = @id AND revision = @revision";
        var saga = new NpgsqlBatchCommand(sql);
        saga.Parameters.Add(new("id", NpgsqlDbType.Uuid) { Value = id });
        saga.Parameters.Add(new("revision", NpgsqlDbType.Integer) { Value = step - 1 });
        saga.Parameters.Add(new("data", NpgsqlDbType.Jsonb) { Value = $"{{\"Key\":\"{id:N}\",\"Done\":{step},\"Steps\":{steps}}}" });
        return saga;
    }

    public static NpgsqlBatchCommand Claim(string schema, string messageId)
    {
        var claim = new NpgsqlBatchCommand($"INSERT INTO {schema}.inbox (message_id) VALUES (@id) ON CONFLICT DO NOTHING RETURNING 1");
        claim.Parameters.AddWithValue("id", messageId);
        return claim;
    }

    public static NpgsqlBatchCommand Outbox(string schema, byte[] body)
    {
        var outbox = new NpgsqlBatchCommand($"INSERT INTO {schema}.outbox (destination, body) VALUES ('bench', @body) RETURNING id");
        outbox.Parameters.AddWithValue("body", body);
        return outbox;
    }
}

/// <summary>Deletes sent outbox rows every 250 ms in one statement on a connection of its own, as the hub's forwarder does.</summary>
sealed class OutboxRowDeleter(string connectionString, string schema) : IAsyncDisposable
{
    readonly System.Collections.Concurrent.ConcurrentQueue<long> _sent = new();
    readonly CancellationTokenSource _stop = new();
    Task? _loop;

    public void Start() => _loop = Task.Run(Run);

    public void Sent(long id) => _sent.Enqueue(id);

    async Task Run()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                var ids = new List<long>();
                while (_sent.TryDequeue(out var id)) ids.Add(id);
                if (ids.Count == 0) continue;
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync();
                await using var delete = new NpgsqlCommand($"DELETE FROM {schema}.outbox WHERE id = ANY(@ids)", connection);
                delete.Parameters.AddWithValue("ids", ids.ToArray());
                await delete.ExecuteNonQueryAsync();
            }
        }
        catch (OperationCanceledException) { }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null) await _loop;
    }
}

/// <summary>
/// Npgsql alone doing the row work of a saga step with an outbox, K chains of sequential transactions, each one
/// batch — INSERT/UPDATE/DELETE of the saga row, INSERT of the inbox row, INSERT of the outbox row — and COMMIT; sent
/// outbox rows deleted in batches. No broker: the database-only ceiling.
/// </summary>
public sealed class RawPostgresScenario(string connectionString) : ISagaScenario
{
    const string Schema = "bench_pg";
    OutboxRowDeleter? _deleter;

    public string Name => "raw-pg";

    public StepLatencies Latencies { get; } = new();

    public string Postgres { get; private set; } = "";

    public async Task Start(SagaPoint point)
    {
        Postgres = point.Postgres(connectionString, Name);
        await RawSagaRows.Create(Postgres, Schema);
        _deleter = new OutboxRowDeleter(Postgres, Schema);
        _deleter.Start();
    }

    public async Task<double> Run(int sagas, int parallel, int steps)
    {
        Latencies.Clear();
        var body = System.Text.Encoding.UTF8.GetBytes("{\"Key\":\"" + Guid.NewGuid().ToString("N") + "\",\"Number\":1}");
        return await Measure.Rate(sagas * (steps + 1), () => Measure.Concurrently(sagas, parallel, async _ =>
        {
            var id = Guid.NewGuid();
            for (var step = 0; step <= steps; step++)
            {
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                await Transaction(id, step, steps, body);
                Latencies.Add(System.Diagnostics.Stopwatch.GetElapsedTime(started));
            }
        }));
    }

    async Task Transaction(Guid id, int step, int steps, byte[] body)
    {
        await using var connection = new NpgsqlConnection(Postgres);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var saga = RawSagaRows.SagaWrite(Schema, id, step, steps);
        await using (var batch = new NpgsqlBatch(connection, transaction)
                     { BatchCommands = { RawSagaRows.Outbox(Schema, body), saga, RawSagaRows.Claim(Schema, $"{id:N}/{step}") } })
        await using (var reader = await batch.ExecuteReaderAsync())
        {
            if (!await reader.ReadAsync()) throw new InvalidOperationException("no outbox id");
            _deleter!.Sent(reader.GetInt64(0));
            while (await reader.NextResultAsync()) { }
        }
        if (saga.RecordsAffected != 1) throw new InvalidOperationException($"saga {id} step {step}: row not written");
        await transaction.CommitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_deleter is not null) await _deleter.DisposeAsync();
        _deleter = null;
    }
}

/// <summary>
/// The least an exactly-once saga step over a broker can cost, without a framework: RabbitMQ.Client consumes a step
/// (manual ack, prefetch and consumer concurrency as the point says) → one Npgsql transaction in the hub's three round
/// trips: the inbox claim (a redelivery stops there) with the saga row's SELECT; the saga INSERT/UPDATE/DELETE by
/// revision (jsonb) with the outbox INSERT; COMMIT → a confirmed persistent publish of the next step into the same
/// quorum queue → ack. Sent outbox rows are deleted in batches, as the hub's forwarder does. Messages are small JSON.
/// </summary>
public sealed class RawDurableScenario(string rabbitMq, string connectionString, string queue) : ISagaScenario
{
    const string _schema = "bench_durable";
    readonly SagaTracker _tracker = new();
    IConnection? _connection;
    IChannel? _consumer;
    PublisherChannels? _publishers;
    OutboxRowDeleter? _deleter;
    int _steps;

    public string Name => "raw-durable";

    public StepLatencies Latencies => _tracker.Latencies;

    public string Postgres { get; private set; } = "";

    public async Task Start(SagaPoint point)
    {
        Postgres = point.Postgres(connectionString, Name);
        await RawSagaRows.Create(Postgres, _schema);
        var factory = new ConnectionFactory { Uri = new Uri(rabbitMq), ConsumerDispatchConcurrency = (ushort)point.Parallelism };
        _connection = await factory.CreateConnectionAsync("bench-raw-durable");
        _publishers = await PublisherChannels.Open(_connection, point.Parallelism);
        _consumer = await _connection.CreateChannelAsync();
        await _consumer.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" });
        await _consumer.BasicQosAsync(0, point.Prefetch, global: false);
        var consumer = new AsyncEventingBasicConsumer(_consumer);
        consumer.ReceivedAsync += (_, delivery) => Step(delivery);
        await _consumer.BasicConsumeAsync(queue, autoAck: false, consumer);
        _deleter = new OutboxRowDeleter(Postgres, _schema);
        _deleter.Start();
    }

    async Task Step(BasicDeliverEventArgs delivery)
    {
        var (key, number) = Parse(delivery.Body.Span);
        var id = Guid.ParseExact(key, "N");
        long outboxId = 0;
        var next = number < _steps ? System.Text.Encoding.UTF8.GetBytes($"{{\"Key\":\"{key}\",\"Number\":{number + 1}}}") : null;
        bool claimed;
        await using (var connection = new NpgsqlConnection(Postgres))
        {
            await connection.OpenAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            // Round trip 1: the claim and the saga read together, as the hub does.
            await using (var first = new NpgsqlBatch(connection, transaction))
            {
                first.BatchCommands.Add(RawSagaRows.Claim(_schema, delivery.BasicProperties.MessageId!));
                var read = new NpgsqlBatchCommand($"SELECT revision, data FROM {_schema}.saga WHERE id = @id");
                read.Parameters.Add(new("id", NpgsqlDbType.Uuid) { Value = id });
                first.BatchCommands.Add(read);
                await using var reader = await first.ExecuteReaderAsync();
                claimed = await reader.ReadAsync();
                await reader.NextResultAsync();
                if (claimed && number > 0 && (!await reader.ReadAsync() || reader.GetInt32(0) != number - 1))
                    throw new InvalidOperationException($"saga {key} step {number}: not at revision {number - 1}");
                if (claimed && number > 0) _ = reader.GetString(1);
            }
            if (claimed)
            {
                // Round trip 2: the saga write and the outbox row; then the commit.
                await using (var second = new NpgsqlBatch(connection, transaction))
                {
                    var saga = RawSagaRows.SagaWrite(_schema, id, number, _steps);
                    second.BatchCommands.Add(saga);
                    NpgsqlBatchCommand? outbox = null;
                    if (next is not null)
                    {
                        outbox = RawSagaRows.Outbox(_schema, next);
                        second.BatchCommands.Insert(0, outbox);
                    }
                    await using (var reader = await second.ExecuteReaderAsync())
                    {
                        if (outbox is not null && await reader.ReadAsync()) outboxId = reader.GetInt64(0);
                        while (await reader.NextResultAsync()) { }
                    }
                    if (saga.RecordsAffected != 1) throw new InvalidOperationException($"saga {key} step {number}: row not written");
                }
                await transaction.CommitAsync();
                _tracker.Handled(key);
            }
        }

        // A redelivery of a committed step (claim refused) sends nothing: its outbox row is the forwarder's to send.
        if (claimed && next is not null)
        {
            var properties = new BasicProperties { Persistent = true, MessageId = Guid.NewGuid().ToString("N"), ContentType = "application/json" };
            await _publishers!.Publish(queue, properties, next); // returns when the broker confirmed it
            _deleter!.Sent(outboxId);
        }
        else if (claimed && number == _steps)
        {
            _tracker.Completed(key);
        }
        await _consumer!.BasicAckAsync(delivery.DeliveryTag, multiple: false);
    }

    static (string Key, int Number) Parse(ReadOnlySpan<byte> body)
    {
        var reader = new System.Text.Json.Utf8JsonReader(body);
        string? key = null;
        var number = -1;
        while (reader.Read())
        {
            if (reader.TokenType != System.Text.Json.JsonTokenType.PropertyName) continue;
            if (reader.ValueTextEquals("Key")) { reader.Read(); key = reader.GetString(); }
            else if (reader.ValueTextEquals("Number")) { reader.Read(); number = reader.GetInt32(); }
        }
        return (key ?? throw new InvalidOperationException("no Key"), number);
    }

    public async Task<double> Run(int sagas, int parallel, int steps)
    {
        _steps = steps;
        return await _tracker.Run(sagas, parallel, steps, async key =>
        {
            var properties = new BasicProperties { Persistent = true, MessageId = Guid.NewGuid().ToString("N"), ContentType = "application/json" };
            await _publishers!.Publish(queue, properties, System.Text.Encoding.UTF8.GetBytes($"{{\"Key\":\"{key}\",\"Number\":0}}"));
        }, Name);
    }

    public async ValueTask DisposeAsync()
    {
        if (_deleter is not null) await _deleter.DisposeAsync();
        if (_consumer is not null) await _consumer.DisposeAsync();
        if (_publishers is not null) await _publishers.DisposeAsync();
        if (_connection is not null) await _connection.DisposeAsync();
    }

    /// <summary>Confirmed publishes from many handlers at once: a channel each, taken from a pool (a channel is not shared by concurrent publishes).</summary>
    sealed class PublisherChannels(List<IChannel> channels) : IAsyncDisposable
    {
        readonly System.Threading.Channels.Channel<IChannel> _free = System.Threading.Channels.Channel.CreateUnbounded<IChannel>();

        public static async Task<PublisherChannels> Open(IConnection connection, int count)
        {
            var channels = new List<IChannel>();
            for (var i = 0; i < count; i++)
                channels.Add(await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true)));
            var pool = new PublisherChannels(channels);
            foreach (var channel in channels) pool._free.Writer.TryWrite(channel);
            return pool;
        }

        public async Task Publish(string queue, BasicProperties properties, byte[] body)
        {
            var channel = await _free.Reader.ReadAsync();
            try
            {
                await channel.BasicPublishAsync("", queue, mandatory: true, properties, body);
            }
            finally
            {
                _free.Writer.TryWrite(channel);
            }
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var channel in channels) await channel.DisposeAsync();
        }
    }
}

/// <summary>The hub: RabbitMQ transport + PostgreSQL persistence (inbox, PostgreSqlSagaStorage, outbox, send after commit).</summary>
public sealed class HubSagaScenario(string rabbitMq, string postgres, string endpointName, string errorQueue) : ISagaScenario
{
    readonly SagaTracker _tracker = new();
    HubHost? _host;
    IBus? _bus;

    public string Name => "hub";

    public StepLatencies Latencies => _tracker.Latencies;

    public string Postgres { get; private set; } = "";

    public async Task Start(SagaPoint point)
    {
        Postgres = point.Postgres(postgres, Name);
        _host = await HubHost.Start(new Dictionary<string, string?>
        {
            ["Hub:Transport"] = "RabbitMq",
            ["Hub:Persistence"] = "PostgreSql",
            ["Hub:ErrorQueue"] = errorQueue,
            ["Hub:MaxParallelism"] = point.Parallelism.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Hub:Prefetch"] = point.Prefetch.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["ConnectionStrings:RabbitMq"] = rabbitMq,
            ["ConnectionStrings:Postgres"] = Postgres,
        }, new BenchEndpoint(endpointName, e => { e.Services.AddSingleton(_tracker); e.Handler<StepSaga>(); }));
        _bus = _host.Bus(endpointName);
    }

    public Task<double> Run(int sagas, int parallel, int steps) =>
        _tracker.Run(sagas, parallel, steps, key => _bus!.SendLocal(new StartSaga(key, steps)), Name);

    public async ValueTask DisposeAsync()
    {
        if (_host is not null) await _host.DisposeAsync();
        _host = null;
    }
}

/// <summary>
/// Rebus with its own Rebus.PostgreSql saga storage on the hub's RabbitMQ transport: no inbox, no outbox
/// (sends go to the broker when Rebus commits), the same parallelism and prefetch as the hub at each point.
/// </summary>
public sealed class RebusPostgresScenario(string rabbitMq, string postgres, string queue, string errorQueue) : ISagaScenario
{
    readonly SagaTracker _tracker = new();
    BuiltinHandlerActivator? _activator;
    IBus? _bus;

    public string Name => "rebus-pg";

    public StepLatencies Latencies => _tracker.Latencies;

    public string Postgres { get; private set; } = "";

    public Task Start(SagaPoint point)
    {
        Postgres = point.Postgres(postgres, Name);
        _activator = new BuiltinHandlerActivator();
        _activator.Register((bus, _) => new StepSaga(bus, _tracker));
        _bus = Configure.With(_activator)
            .Logging(l => l.None())
            .Transport(t => t.UseHubRabbitMq(rabbitMq, queue).Prefetch(point.Prefetch))
            .Sagas(s => s.StoreInPostgres(Postgres, "rebus_sagas", "rebus_saga_index"))
            .Options(o =>
            {
                o.SetNumberOfWorkers(1);
                o.SetMaxParallelism(point.Parallelism);
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
        _activator = null;
        return ValueTask.CompletedTask;
    }
}

/// <summary>Sums of the hub's <see cref="StepStages"/> histogram while it is listened to: mean milliseconds per stage.</summary>
public sealed class StageMeter : IDisposable
{
    readonly MeterListener _listener = new();
    readonly System.Collections.Concurrent.ConcurrentDictionary<string, (double Seconds, long Count)> _stages = new();

    public StageMeter()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == Hosting.Observability.HubMetrics.MeterName && instrument.Name == StepStages.InstrumentName)
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<double>((_, seconds, tags, _) =>
        {
            string? stage = null;
            foreach (var tag in tags)
                if (tag.Key == "stage") stage = tag.Value as string;
            if (stage is null) return;
            _stages.AddOrUpdate(stage, (seconds, 1), (_, sum) => (sum.Seconds + seconds, sum.Count + 1));
        });
        _listener.Start();
    }

    public void Reset() => _stages.Clear();

    /// <summary>Mean milliseconds of each stage per handled step (a stage a step skips counts as 0 for it).</summary>
    public IReadOnlyDictionary<string, double> PerStep(int steps) =>
        StepStages.All.ToDictionary(s => s, s => _stages.TryGetValue(s, out var sum) ? sum.Seconds * 1000 / steps : double.NaN);

    public void Dispose() => _listener.Dispose();
}

public static class SagaBench
{
    public static async Task<IReadOnlyList<BenchResult>> Run(BenchOptions options)
    {
        var id = Measure.RunId;
        var database = $"hub_bench_{id}";
        var postgres = new NpgsqlConnectionStringBuilder(options.Postgres) { Database = database }.ConnectionString;
        var endpoint = $"BenchSaga{id}";
        var rawQueue = $"bench.rawdurable.{id}";
        var rebusQueue = $"bench.rebuspg.{id}";
        var errorQueue = $"bench.error.saga.{id}";
        var results = new List<BenchResult>();

        await Admin(options.Postgres, $"CREATE DATABASE {database}");
        ISagaScenario[] all =
        [
            new RawDurableScenario(options.RabbitMq, postgres, rawQueue),
            new RawPostgresScenario(postgres),
            new HubSagaScenario(options.RabbitMq, postgres, endpoint, errorQueue),
            new RebusPostgresScenario(options.RabbitMq, postgres, rebusQueue, errorQueue),
        ];
        // BENCH_ONLY=hub (say) runs only the scenarios named, to profile one: then without ratios
        var only = Environment.GetEnvironmentVariable("BENCH_ONLY")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var scenarios = only is { Length: > 0 } ? all.Where(s => only.Contains(s.Name)).ToArray() : all;
        using var stages = new StageMeter();
        try
        {
            foreach (var inFlight in options.InFlight)
            {
                var point = SagaPoint.For(inFlight, options.Sagas);
                var transactions = point.Sagas * (options.Steps + 1);
                Console.WriteLine($"== saga: {point}, 1 Start + {options.Steps} Steps each ({transactions} steps per round), rounds={options.Rounds}, database {database}");
                var result = new BenchResult("saga", "steps/s", scenarios.Select(s => s.Name).ToArray()) { Title = point.ToString() };
                var cpu = scenarios.Select(_ => new List<CpuSplit>()).ToArray();
                var p50 = scenarios.Select(_ => new List<double>()).ToArray();
                var p99 = scenarios.Select(_ => new List<double>()).ToArray();
                var hubStages = new List<IReadOnlyDictionary<string, double>>();
                try
                {
                    foreach (var scenario in scenarios)
                    {
                        await scenario.Start(point);
                        // until the JIT settles: tiered compilation took a quarter of the process's CPU in rounds after a single warm-up round
                        await JitWarmup.UntilSettled(async batch =>
                        {
                            var warm = await scenario.Run(Math.Max(point.InFlight, point.Sagas / 4), point.InFlight, options.Steps);
                            return $"   warm-up {batch} {scenario.Name,-12} {warm,10:N0} steps/s";
                        });
                        NpgsqlConnection.ClearPool(new NpgsqlConnection(scenario.Postgres));
                    }

                    for (var round = 1; round <= options.Rounds; round++)
                    {
                        var rates = new double[scenarios.Length];
                        for (var i = 0; i < scenarios.Length; i++)
                        {
                            stages.Reset();
                            var meter = new CpuMeter();
                            rates[i] = await scenarios[i].Run(point.Sagas, point.InFlight, options.Steps);
                            var split = meter.PerItem(transactions);
                            var (l50, l99) = scenarios[i].Latencies.Percentiles();
                            cpu[i].Add(split);
                            p50[i].Add(l50);
                            p99[i].Add(l99);
                            if (scenarios[i] is HubSagaScenario) hubStages.Add(stages.PerStep(transactions));
                            Console.WriteLine($"   round {round} {scenarios[i].Name,-12} {rates[i],10:N0} steps/s  p50 {l50,7:0.0} ms  p99 {l99,7:0.0} ms  {split.ToString("step")}");
                            // its idle connections closed, so the next scenario has the server's connections
                            NpgsqlConnection.ClearPool(new NpgsqlConnection(scenarios[i].Postgres));
                        }
                        result.Rounds.Add(rates);
                    }
                }
                finally
                {
                    foreach (var scenario in scenarios)
                        await scenario.DisposeAsync();
                    NpgsqlConnection.ClearAllPools();
                    await Broker.Delete(options.RabbitMq, [Hosting.HubEndpoint.QueueNameOf(endpoint), rawQueue, rebusQueue], []);
                }

                if (scenarios.Length == all.Length)
                {
                    result.Notes.Add($"hub / raw-durable {BenchResult.FormatRatio(result.Ratio(2, 0))}, hub / rebus-pg {BenchResult.FormatRatio(result.Ratio(2, 3))} (medians of per-round ratios)");
                    result.Notes.Add("");
                }
                result.Notes.Add("| per step (medians of rounds) | " + string.Join(" | ", scenarios.Select(s => s.Name)) + " |");
                result.Notes.Add("|---|" + string.Concat(scenarios.Select(_ => "---:|")));
                result.Notes.Add("| latency p50 / p99 (ms) | " + string.Join(" | ", scenarios.Select((_, i) => $"{Measure.Median(p50[i]):0.0} / {Measure.Median(p99[i]):0.0}")) + " |");
                result.Notes.Add("| CPU ms, all processes | " + string.Join(" | ", cpu.Select(c => $"{Measure.Median(c.Select(x => x.Total)):0.00}")) + " |");
                result.Notes.Add("| CPU ms, bench process | " + string.Join(" | ", cpu.Select(c => $"{Measure.Median(c.Select(x => x.Bench)):0.00}")) + " |");
                result.Notes.Add("| CPU ms, postgres | " + string.Join(" | ", cpu.Select(c => $"{Measure.Median(c.Select(x => x.Postgres)):0.00}")) + " |");
                result.Notes.Add("| CPU ms, rabbitmq | " + string.Join(" | ", cpu.Select(c => $"{Measure.Median(c.Select(x => x.RabbitMq)):0.00}")) + " |");
                result.Notes.Add("| CPU ms, other | " + string.Join(" | ", cpu.Select(c => $"{Measure.Median(c.Select(x => x.Other)):0.00}")) + " |");
                if (hubStages.Count > 0)
                {
                    result.Notes.Add("");
                    result.Notes.Add("| hub stage (mean ms per step, median of rounds) | " + string.Join(" | ", StepStages.All) + " |");
                    result.Notes.Add("|---|" + string.Concat(StepStages.All.Select(_ => "---:|")));
                    // a stage no step went through (the claim, when it goes with the saga lookup) is "–", not 0
                    result.Notes.Add("| ms | " + string.Join(" | ", StepStages.All.Select(s => Measure.Median(hubStages.Select(h => h[s])) is var ms && double.IsNaN(ms) ? "–" : $"{ms:0.000}")) + " |");
                }
                results.Add(result);
            }
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await Broker.Delete(options.RabbitMq, [errorQueue], []);
            await Admin(options.Postgres, $"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
        }
        return results;
    }

    static async Task Admin(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
