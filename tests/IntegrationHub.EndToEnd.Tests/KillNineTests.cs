using System.Diagnostics;
using System.Globalization;
using IntegrationHub.ChaosEndpoint;
using IntegrationHub.Testing;
using IntegrationHub.Transport.RabbitMq;
using Npgsql;
using RabbitMQ.Client.Exceptions;
using Rebus.Bus;
using Rebus.Config;
using Rebus.Logging;
using Rebus.Transport;
using Xunit.Abstractions;

namespace IntegrationHub.EndToEnd.Tests;

/// <summary>
/// The durability claim, end to end with real processes, the hub's RabbitMQ transport and PostgreSQL storage:
/// killing an endpoint with <c>kill -9</c> while messages flow loses none of them; each is handled at least
/// once after the restart, its effect is committed exactly once (inbox), and duplicate invocations are bounded by
/// what was in flight (prefetch + parallelism). Two moments of the kill: handlers cut off mid-transaction, and
/// handlers caught after their commit, before their sends and their ack.
/// </summary>
public sealed class KillNineTests(ITestOutputHelper output)
{
    const int MessageCount = 10_000;
    const int KillAfterInvocations = 1_500;
    const int SendBatch = 500;
    static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);
    static readonly TimeSpan CompletionTimeout = TimeSpan.FromMinutes(3);

    /// <summary>Broker prefetch of the endpoint (Hub:Prefetch); env CHAOS_PREFETCH, default the hub's 100.</summary>
    static readonly int Prefetch = IntFromEnvironment("CHAOS_PREFETCH", 100);

    /// <summary>Handlers running at once (Hub:MaxParallelism); env CHAOS_MAX_PARALLELISM, default the hub's 32.</summary>
    static readonly int MaxParallelism = IntFromEnvironment("CHAOS_MAX_PARALLELISM", 32);

    /// <summary>
    /// Work time of the handler inside its open transaction (Chaos:HandlerDelayMs); env CHAOS_HANDLER_DELAY_MS, default 50:
    /// handlers overlap as they do when they call an API, so the kill also cuts off some that were not frozen.
    /// </summary>
    static readonly int HandlerDelayMs = IntFromEnvironment("CHAOS_HANDLER_DELAY_MS", 50, allowZero: true);

    /// <summary>Handlers frozen mid-transaction (effect written, not committed) before the kill goes ahead.</summary>
    const int MinInFlightAtKill = 5;

    /// <summary>Work messages of the kill after the commit; each sends a WorkDone, so the endpoint handles twice as many.</summary>
    const int AfterCommitMessageCount = 5_000;
    const int KillAfterCommits = 1_000;

    /// <summary>Handlers frozen after their commit (committed, not sent, not acked) before the kill goes ahead.</summary>
    const int MinFrozenAfterCommit = 10;

    static readonly TimeSpan AfterCommitCompletionTimeout = TimeSpan.FromMinutes(2);

    [Fact]
    [Trait("Category", "EndToEnd")]
    public Task Killing_the_endpoint_with_kill_9_mid_flow_loses_no_message() => InChaosRun(async run =>
    {
        var total = Stopwatch.StartNew();
        var restartEnvironment = run.Environment(sendDone: false);
        var killedEnvironment = new Dictionary<string, string>(restartEnvironment)
        {
            ["Chaos__FreezeAfterInvocations"] = KillAfterInvocations.ToString(CultureInfo.InvariantCulture),
            ["Chaos__FrozenReportAt"] = MinInFlightAtKill.ToString(CultureInfo.InvariantCulture),
        };

        // 1. the endpoint runs and consumes from its queue
        var first = run.Start("endpoint#1", killedEnvironment);
        await first.WaitUntilReady(ReadyTimeout);
        Assert.True(await RabbitMqBroker.QueueExistsAsync(run.Queue), $"the endpoint declared its queue {run.Queue}");
        Log($"endpoint#1 (pid {first.Id}) ready after {total.Elapsed.TotalSeconds:0.0} s; prefetch {Prefetch}, max parallelism {MaxParallelism}, handler delay {HandlerDelayMs} ms");

        // 2. 10,000 Work messages, sent by a Rebus one-way client on the hub's RabbitMQ transport, while the endpoint works
        var sendClock = Stopwatch.StartNew();
        var sending = SendAll(run.Client(), run.Queue, MessageCount);

        // 3. kill -9 while handlers are certainly mid-transaction: from invocation KillAfterInvocations on, endpoint#1's
        //    handlers write their effect and stop there, transaction open (Chaos:FreezeAfterInvocations); the kill
        //    follows their report. Waiting on a signal instead of polling for a lucky moment keeps the test deterministic.
        await UntilSignalled(first.WaitUntilFrozen(TimeSpan.FromSeconds(90)), sending);
        await first.KillHard(TimeSpan.FromSeconds(10));
        var killedAt = sendClock.Elapsed;
        var sentAtKill = _sent;

        var db = run.ConnectionString;
        var effectsAtKill = await Count(db, "chaos_effects");
        var attemptsAtKill = await Count(db, "chaos_attempts");
        // the inbox row commits with the message's transaction: ids invoked but without one were cut off by the kill
        var committedAtKill = await InboxRows(run);
        var startedNotCommitted = await Scalar(db, "SELECT count(DISTINCT id) FROM chaos_attempts") - committedAtKill;
        Log($"kill -9 endpoint#1 at {killedAt.TotalSeconds:0.00} s after the first send: {sentAtKill} sent, {committedAtKill} messages committed " +
            $"(inbox), {effectsAtKill} effects, {attemptsAtKill} invocations, {startedNotCommitted} started but not committed (cut off by the kill, must be redelivered)");
        Assert.True(effectsAtKill < MessageCount, "the kill happened mid-flow");
        // the crash interrupted the frozen handlers (and any others) between their inbox claim and their commit
        Assert.InRange(startedNotCommitted, MinInFlightAtKill, MaxParallelism);

        // 4. restart, and everything is handled in the end
        var second = run.Start("endpoint#2", restartEnvironment);
        await second.WaitUntilReady(ReadyTimeout);
        var restartedAt = sendClock.Elapsed;
        Log($"endpoint#2 (pid {second.Id}) ready {(restartedAt - killedAt).TotalSeconds:0.00} s after the kill");

        await sending;
        var sendSeconds = _sendSeconds;
        await Eventually.Until(async () => await Count(db, "chaos_effects") >= MessageCount || second.HasExited,
            CompletionTimeout, $"all {MessageCount} effects are committed after the restart");
        Assert.False(second.HasExited, "endpoint#2 is still running");
        var doneAt = sendClock.Elapsed;

        // 5. nothing left: no message ready or unacknowledged in the queue, nothing in the error queue
        await AssertNothingLeft(run);

        // 6. every id has exactly one committed effect; invocations beyond one per message are bounded by what was in flight
        await AssertExactlyOncePerId(db, "chaos_effects", MessageCount);
        Assert.Equal((long)MessageCount, await InboxRows(run));

        var attempts = await Count(db, "chaos_attempts");
        var distinctAttempted = await Scalar(db, "SELECT count(DISTINCT id) FROM chaos_attempts");
        var duplicates = attempts - MessageCount;
        var bound = Prefetch + MaxParallelism;
        var skippedByInbox = second.InboxSkips;
        Log($"all {MessageCount} effects committed {doneAt.TotalSeconds:0.00} s after the first send ({(doneAt - restartedAt).TotalSeconds:0.00} s after the restart); " +
            $"sending took {sendSeconds:0.00} s");
        Log($"invocations {attempts} for {distinctAttempted} ids -> duplicate invocations {duplicates} (bound prefetch + parallelism = {bound}); " +
            $"redeliveries skipped by the inbox (committed before the kill, not acked): {skippedByInbox}; endpoint#2 wrote {second.LineCount} log lines");
        Log($"throughput before the kill {effectsAtKill / killedAt.TotalSeconds:0} msg/s; after the restart " +
            $"{(MessageCount - effectsAtKill) / (doneAt - restartedAt).TotalSeconds:0} msg/s (PostgreSQL mode, inbox + effect per message)");

        Assert.Equal((long)MessageCount, distinctAttempted);
        Assert.InRange(duplicates, 0, bound);
        Log($"total test time {total.Elapsed.TotalSeconds:0.0} s");
    });

    /// <summary>
    /// The kill lands between a message's commit and its sends and ack: its effect, its inbox row and the outbox row
    /// of the WorkDone it sends are committed, nothing was sent, and the broker still holds the message as unacked.
    /// After the restart the message comes back and the inbox skips it, the outbox forwarder sends its WorkDone, and
    /// every Work and every WorkDone has exactly one effect.
    /// </summary>
    [Fact]
    [Trait("Category", "EndToEnd")]
    public Task Kill_after_commit_before_send_and_ack_loses_nothing_and_applies_each_message_once() => InChaosRun(async run =>
    {
        var total = Stopwatch.StartNew();
        var db = run.ConnectionString;
        var restartEnvironment = run.Environment(sendDone: true);
        var killedEnvironment = new Dictionary<string, string>(restartEnvironment)
        {
            ["Chaos__FreezeAfterCommits"] = KillAfterCommits.ToString(CultureInfo.InvariantCulture),
            ["Chaos__FrozenReportAt"] = MinFrozenAfterCommit.ToString(CultureInfo.InvariantCulture),
        };

        var first = run.Start("endpoint#1", killedEnvironment);
        await first.WaitUntilReady(ReadyTimeout);
        Log($"endpoint#1 (pid {first.Id}) ready after {total.Elapsed.TotalSeconds:0.0} s; prefetch {Prefetch}, max parallelism {MaxParallelism}, handler delay {HandlerDelayMs} ms");

        var sendClock = Stopwatch.StartNew();
        var sending = SendAll(run.Client(), run.Queue, AfterCommitMessageCount);

        // From Work invocation KillAfterCommits on, each handler freezes in a commit callback of its own, which runs
        // after the database commit and before the hub's sends and the ack (Chaos:FreezeAfterCommits).
        // The kill follows the report at once, while the handlers that are not frozen yet are still at work.
        await UntilSignalled(first.WaitUntilFrozenAfterCommit(TimeSpan.FromSeconds(90)), sending);
        await first.KillHard(TimeSpan.FromSeconds(10));
        var killedAt = sendClock.Elapsed;

        // The process is dead: what the database holds now is what was committed before the kill.
        var frozen = await Rows(db, "SELECT id, message_id FROM chaos_frozen");
        var frozenIds = frozen.Select(f => f.Id).ToHashSet(StringComparer.Ordinal);
        var frozenMessageIds = frozen.Select(f => f.MessageId).ToHashSet(StringComparer.Ordinal);
        var effectsAtKill = await Count(db, "chaos_effects");
        var doneAtKill = await Count(db, "chaos_done");
        var outboxAtKill = await OutboxRows(run);
        Log($"kill -9 endpoint#1 at {killedAt.TotalSeconds:0.00} s after the first send: {_sent} sent, {effectsAtKill} Work effects, {doneAtKill} WorkDone effects, " +
            $"{outboxAtKill} outbox rows; {frozen.Count} handlers frozen after their commit");

        Assert.True(effectsAtKill < AfterCommitMessageCount, "the kill happened mid-flow");
        Assert.Equal(frozen.Count, frozenIds.Count);
        Assert.InRange(frozen.Count, MinFrozenAfterCommit, MaxParallelism);
        // committed: the effect and the inbox row; not sent: the WorkDone is an outbox row and has no effect
        Assert.Equal(frozen.Count, await CountIn(db, "SELECT count(*) FROM chaos_effects WHERE id = ANY(@ids)", frozenIds));
        Assert.Equal(frozen.Count, await CountIn(db, $"SELECT count(*) FROM hub.inbox WHERE endpoint = '{run.Endpoint}' AND message_id = ANY(@ids)", frozenMessageIds));
        Assert.Equal(frozen.Count, await CountIn(db, $"SELECT count(DISTINCT message_id) FROM hub.outbox WHERE endpoint = '{run.Endpoint}' AND message_id = ANY(@ids)", frozenMessageIds));
        Assert.Equal(0, await CountIn(db, "SELECT count(*) FROM chaos_done WHERE id = ANY(@ids)", frozenIds));

        var second = run.Start("endpoint#2", restartEnvironment);
        await second.WaitUntilReady(ReadyTimeout);
        var restartedAt = sendClock.Elapsed;
        Log($"endpoint#2 (pid {second.Id}) ready {(restartedAt - killedAt).TotalSeconds:0.00} s after the kill");

        await sending;
        long effects = 0, done = 0;
        await Eventually.Until(async () =>
            {
                effects = await Count(db, "chaos_effects");
                done = await Count(db, "chaos_done");
                return (effects >= AfterCommitMessageCount && done >= AfterCommitMessageCount) || second.HasExited;
            },
            AfterCommitCompletionTimeout, $"every one of the {AfterCommitMessageCount} Work messages has its effect and its WorkDone effect after the restart " +
                $"(last seen: {effects} Work effects, {done} WorkDone effects; a missing WorkDone of a frozen message means the outbox forwarder did not send it)");
        Assert.False(second.HasExited, "endpoint#2 is still running");
        var doneAt = sendClock.Elapsed;

        await AssertNothingLeft(run);
        await Eventually.Until(async () => await OutboxRows(run) == 0, TimeSpan.FromSeconds(30), "the outbox of the endpoint ends empty");

        // 0 lost, each applied once: one effect and one WorkDone effect per id, and an inbox row per Work and per WorkDone
        await AssertExactlyOncePerId(db, "chaos_effects", AfterCommitMessageCount);
        await AssertExactlyOncePerId(db, "chaos_done", AfterCommitMessageCount);
        Assert.Equal(2L * AfterCommitMessageCount, await InboxRows(run));

        // The frozen messages were not acked when the process died (RabbitMQ redelivers only those), so the broker
        // redelivered them to endpoint#2, whose inbox skipped them: their handler ran once (the skip comes before it).
        var redelivered = frozenMessageIds.Where(second.SkippedMessageIds.ContainsKey).ToList();
        Assert.True(redelivered.Count == frozen.Count,
            $"each of the {frozen.Count} messages frozen after their commit is redelivered and skipped by the inbox ({redelivered.Count} were)");
        Assert.Equal(frozen.Count, await CountIn(db, "SELECT count(*) FROM chaos_attempts WHERE id = ANY(@ids)", frozenIds));

        var workAttempts = await Count(db, "chaos_attempts");
        var doneAttempts = await Count(db, "chaos_done_attempts");
        var workDuplicates = workAttempts - AfterCommitMessageCount;
        var doneDuplicates = doneAttempts - AfterCommitMessageCount;
        var bound = Prefetch + MaxParallelism;
        var skippedOthers = second.SkippedMessageIds.Keys.Count(id => !frozenMessageIds.Contains(id));
        Log($"all effects and WorkDone effects committed {(doneAt - restartedAt).TotalSeconds:0.00} s after the restart; sending took {_sendSeconds:0.00} s");
        Log($"invocations: Work {workAttempts}, WorkDone {doneAttempts} -> duplicate invocations {workDuplicates} + {doneDuplicates} (bound prefetch + parallelism = {bound}); " +
            $"redeliveries skipped by the inbox: {second.InboxSkips} ({redelivered.Count} frozen Work messages; {skippedOthers} others: Work messages " +
            "committed but not yet at the freeze, and WorkDone messages sent before the kill and again by the outbox forwarder)");
        Assert.Equal((long)AfterCommitMessageCount, await Scalar(db, "SELECT count(DISTINCT id) FROM chaos_attempts"));
        Assert.InRange(workDuplicates + doneDuplicates, 0, bound);
        Log($"total test time {total.Elapsed.TotalSeconds:0.0} s");
    });

    /// <summary>Runs a test in a <see cref="ChaosRun"/> of its own; on failure the endpoints' last output goes to the test output.</summary>
    async Task InChaosRun(Func<ChaosRun, Task> test)
    {
        await using var run = await ChaosRun.Create();
        try
        {
            await test(run);
        }
        catch
        {
            foreach (var process in run.Processes)
            {
                Log($"--- last output of {process.Label} (pid {process.Id}) ---");
                foreach (var line in process.Output) Log(line);
            }
            throw;
        }
    }

    /// <summary>Waits for the endpoint's signal; a send that fails meanwhile fails the test at once.</summary>
    static async Task UntilSignalled(Task signal, Task sending)
    {
        await Task.WhenAny(signal, sending);
        if (sending.IsFaulted) await sending;
        await signal;
    }

    /// <summary>No message ready or unacknowledged in the queue, none in the error queue, none parked for a delayed retry.</summary>
    static async Task AssertNothingLeft(ChaosRun run)
    {
        await Eventually.Until(async () => await RabbitMqBroker.ReadyAndUnackedAsync(run.Queue) is (0, 0), TimeSpan.FromSeconds(60),
            $"{run.Queue} is empty (no ready and no unacknowledged message; rabbitmqctl)");
        Assert.Equal(0u, await ErrorQueueCount(run.ErrorQueue));
        // nor parked for a delayed retry (a failing handler, e.g. a duplicate effect, would wait there before the error queue)
        Assert.Equal(0L, await Count(run.ConnectionString, "rebus.timeouts"));
    }

    /// <summary>The table's ids are exactly the ids sent, each once.</summary>
    static async Task AssertExactlyOncePerId(string connectionString, string table, int count)
    {
        var ids = await Ids(connectionString, $"SELECT id FROM {table}");
        var expected = Enumerable.Range(0, count).Select(IdOf).ToHashSet();
        Assert.Equal(count, ids.Count);
        Assert.True(expected.SetEquals(ids), $"{table} holds exactly the {count} ids sent ({expected.Except(ids).Count()} missing)");
        // the id is the table's PRIMARY KEY: a second row for an id cannot exist (it would fail the insert and the
        // message would end in the retries checked by AssertNothingLeft); the query states it anyway.
        Assert.Equal(0L, await Scalar(connectionString, $"SELECT count(*) FROM (SELECT id FROM {table} GROUP BY id HAVING count(*) > 1) d"));
    }

    static Task<long> InboxRows(ChaosRun run) =>
        Scalar(run.ConnectionString, $"SELECT count(*) FROM hub.inbox WHERE endpoint = '{run.Endpoint}'");

    static Task<long> OutboxRows(ChaosRun run) =>
        Scalar(run.ConnectionString, $"SELECT count(*) FROM hub.outbox WHERE endpoint = '{run.Endpoint}'");

    int _sent;
    double _sendSeconds;

    async Task SendAll(IBus bus, string queue, int count)
    {
        var clock = Stopwatch.StartNew();
        for (var start = 0; start < count; start += SendBatch)
        {
            // one transaction scope per batch: the transport publishes the batch with one round of confirms
            using var scope = new RebusTransactionScope();
            for (var i = start; i < Math.Min(start + SendBatch, count); i++)
                await bus.Advanced.Routing.Send(queue, new Work(IdOf(i)));
            await scope.CompleteAsync();
            Interlocked.Exchange(ref _sent, Math.Min(start + SendBatch, count));
        }
        _sendSeconds = clock.Elapsed.TotalSeconds;
    }

    static string IdOf(int i) => "w" + i.ToString("D5", CultureInfo.InvariantCulture);

    void Log(string line) => output.WriteLine(line);

    static string PostgresServerConnectionString =>
        Environment.GetEnvironmentVariable("ConnectionStrings__Postgres") is { Length: > 0 } configured
            ? configured
            : "Host=127.0.0.1;Port=5432;Username=hub;Password=hub;Database=hub";

    static int IntFromEnvironment(string name, int fallback, bool allowZero = false) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
        && (value > 0 || (allowZero && value == 0)) ? value : fallback;

    static async Task Execute(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    static async Task<long> Scalar(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    /// <summary>A count over the rows whose key is one of <paramref name="ids"/> (the query names them <c>@ids</c>).</summary>
    static async Task<int> CountIn(string connectionString, string sql, IEnumerable<string> ids)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("ids", ids.ToArray());
        return Convert.ToInt32(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    static Task<long> Count(string connectionString, string table) => Scalar(connectionString, $"SELECT count(*) FROM {table}");

    static async Task<HashSet<string>> Ids(string connectionString, string sql) =>
        (await Rows(connectionString, sql)).Select(r => r.Id).ToHashSet(StringComparer.Ordinal);

    /// <summary>The first column of each row, and the second when the query has one.</summary>
    static async Task<List<(string Id, string MessageId)>> Rows(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(string, string)>();
        while (await reader.ReadAsync()) rows.Add((reader.GetString(0), reader.FieldCount > 1 ? reader.GetString(1) : ""));
        return rows;
    }

    /// <summary>Messages in the error queue; a queue that does not exist holds none.</summary>
    static async Task<uint> ErrorQueueCount(string errorQueue)
    {
        try
        {
            return await RabbitMqBroker.CountMessagesAsync(errorQueue);
        }
        catch (OperationInterruptedException exception) when (exception.ShutdownReason?.ReplyCode == 404)
        {
            return 0;
        }
    }

    static async Task BestEffort(Func<Task> action, string what)
    {
        try
        {
            await action();
        }
        catch (Exception exception)
        {
            Console.Error.WriteLine($"Chaos test cleanup: could not {what}: {exception.Message}");
        }
    }

    /// <summary>
    /// What one kill -9 run owns: a unique endpoint (and so queue and error queue), a database <c>hub_chaos_&lt;guid8&gt;</c>
    /// with the chaos tables, the endpoint processes and the sending client; all removed when it is disposed.
    /// </summary>
    sealed class ChaosRun : IAsyncDisposable
    {
        readonly string _database;
        readonly List<ChaosEndpointProcess> _processes = [];
        IBus? _client;

        ChaosRun(string suffix)
        {
            Endpoint = "Chaos" + suffix;
            Queue = "hub.chaos" + suffix;                 // HubEndpoint.QueueNameOf(endpoint)
            ErrorQueue = $"hub.chaos{suffix}.error";
            _database = "hub_chaos_" + suffix;
            ConnectionString = new NpgsqlConnectionStringBuilder(PostgresServerConnectionString) { Database = _database }.ConnectionString;
        }

        public string Endpoint { get; }
        public string Queue { get; }
        public string ErrorQueue { get; }
        public string ConnectionString { get; }
        public IReadOnlyList<ChaosEndpointProcess> Processes => _processes;

        /// <summary>
        /// chaos_attempts / chaos_done_attempts: every invocation of the Work / WorkDone handler, written outside the
        /// message transaction (duplicates included); chaos_effects / chaos_done: their effects, written in it;
        /// chaos_frozen: the Work messages frozen after their commit (Chaos:FreezeAfterCommits).
        /// </summary>
        public static async Task<ChaosRun> Create()
        {
            var run = new ChaosRun(Guid.NewGuid().ToString("N")[..8]);
            await Execute(PostgresServerConnectionString, $"CREATE DATABASE {run._database} OWNER hub");
            await Execute(run.ConnectionString, """
                CREATE TABLE chaos_attempts (id text NOT NULL, at timestamptz NOT NULL);
                CREATE TABLE chaos_effects (id text PRIMARY KEY);
                CREATE TABLE chaos_done_attempts (id text NOT NULL, at timestamptz NOT NULL);
                CREATE TABLE chaos_done (id text PRIMARY KEY);
                CREATE TABLE chaos_frozen (id text NOT NULL, message_id text NOT NULL);
                """);
            return run;
        }

        /// <summary>The endpoint's settings without fault injection (the restart's).</summary>
        public Dictionary<string, string> Environment(bool sendDone) => new()
        {
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["Chaos__Endpoint"] = Endpoint,
            ["Hub__Transport"] = "RabbitMq",
            ["Hub__Persistence"] = "PostgreSql",
            ["ConnectionStrings__RabbitMq"] = RabbitMqBroker.ConnectionString,
            ["ConnectionStrings__Postgres"] = ConnectionString,
            ["Hub__ErrorQueue"] = ErrorQueue,
            ["Hub__Prefetch"] = Prefetch.ToString(CultureInfo.InvariantCulture),
            ["Hub__MaxParallelism"] = MaxParallelism.ToString(CultureInfo.InvariantCulture),
            ["Chaos__HandlerDelayMs"] = HandlerDelayMs.ToString(CultureInfo.InvariantCulture),
            ["Chaos__SendDone"] = sendDone ? "true" : "false",
            ["Logging__LogLevel__Default"] = "Information",
            ["Logging__LogLevel__Microsoft"] = "Warning",
        };

        public ChaosEndpointProcess Start(string label, IReadOnlyDictionary<string, string> environment)
        {
            var process = ChaosEndpointProcess.Start(label, environment);
            _processes.Add(process);
            return process;
        }

        /// <summary>A Rebus one-way client on the hub's RabbitMQ transport (one per run).</summary>
        public IBus Client() => _client ??= Configure.OneWayClient()
            .Logging(l => l.Console(LogLevel.Warn))
            .Transport(t => t.UseHubRabbitMqAsOneWayClient(RabbitMqBroker.ConnectionString))
            .Start();

        public async ValueTask DisposeAsync()
        {
            foreach (var process in _processes) process.Dispose();   // kills whatever still runs
            _client?.Dispose();
            await BestEffort(() => RabbitMqBroker.DeleteQueueAsync(Queue), $"delete queue {Queue}");
            await BestEffort(() => RabbitMqBroker.DeleteQueueAsync(ErrorQueue), $"delete queue {ErrorQueue}");
            await BestEffort(() => PostgresServer.DropDatabase(_database, PostgresServerConnectionString), $"drop database {_database}");
        }
    }
}
