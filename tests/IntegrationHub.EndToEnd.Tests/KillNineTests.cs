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
/// killing an endpoint with <c>kill -9</c> while 10,000 messages flow loses none of them; each is handled at least
/// once after the restart, its effect is committed exactly once (inbox), and duplicate invocations are bounded by
/// what was in flight (prefetch + parallelism).
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

    [Fact]
    [Trait("Category", "EndToEnd")]
    public async Task Killing_the_endpoint_with_kill_9_mid_flow_loses_no_message()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var endpoint = "Chaos" + suffix;
        var queue = "hub.chaos" + suffix;                 // HubEndpoint.QueueNameOf(endpoint)
        var errorQueue = $"hub.chaos{suffix}.error";
        var database = "hub_chaos_" + suffix;
        var databaseConnectionString = new NpgsqlConnectionStringBuilder(PostgresServerConnectionString) { Database = database }.ConnectionString;
        var processes = new List<ChaosEndpointProcess>();
        IBus? client = null;
        var total = Stopwatch.StartNew();

        try
        {
            await Execute(PostgresServerConnectionString, $"CREATE DATABASE {database} OWNER hub");
            await Execute(databaseConnectionString, """
                CREATE TABLE chaos_attempts (id text NOT NULL, at timestamptz NOT NULL);
                CREATE TABLE chaos_effects (id text PRIMARY KEY);
                """);

            var restartEnvironment = new Dictionary<string, string>
            {
                ["DOTNET_ENVIRONMENT"] = "Production",
                ["Chaos__Endpoint"] = endpoint,
                ["Hub__Transport"] = "RabbitMq",
                ["Hub__Persistence"] = "PostgreSql",
                ["ConnectionStrings__RabbitMq"] = RabbitMqBroker.ConnectionString,
                ["ConnectionStrings__Postgres"] = databaseConnectionString,
                ["Hub__ErrorQueue"] = errorQueue,
                ["Hub__Prefetch"] = Prefetch.ToString(CultureInfo.InvariantCulture),
                ["Hub__MaxParallelism"] = MaxParallelism.ToString(CultureInfo.InvariantCulture),
                ["Chaos__HandlerDelayMs"] = HandlerDelayMs.ToString(CultureInfo.InvariantCulture),
                ["Logging__LogLevel__Default"] = "Information",
                ["Logging__LogLevel__Microsoft"] = "Warning",
            };

            var killedEnvironment = new Dictionary<string, string>(restartEnvironment)
            {
                ["Chaos__FreezeAfterInvocations"] = KillAfterInvocations.ToString(CultureInfo.InvariantCulture),
                ["Chaos__FrozenReportAt"] = MinInFlightAtKill.ToString(CultureInfo.InvariantCulture),
            };

            // 1. the endpoint runs and consumes from its queue
            var first = ChaosEndpointProcess.Start("endpoint#1", killedEnvironment);
            processes.Add(first);
            await first.WaitUntilReady(ReadyTimeout);
            Assert.True(await RabbitMqBroker.QueueExistsAsync(queue), $"the endpoint declared its queue {queue}");
            Log($"endpoint#1 (pid {first.Id}) ready after {total.Elapsed.TotalSeconds:0.0} s; prefetch {Prefetch}, max parallelism {MaxParallelism}, handler delay {HandlerDelayMs} ms");

            // 2. 10,000 Work messages, sent by a Rebus one-way client on the hub's RabbitMQ transport, while the endpoint works
            client = Configure.OneWayClient()
                .Logging(l => l.Console(LogLevel.Warn))
                .Transport(t => t.UseHubRabbitMqAsOneWayClient(RabbitMqBroker.ConnectionString))
                .Start();
            var sendClock = Stopwatch.StartNew();
            var sending = SendAll(client, queue);

            // 3. kill -9 while handlers are certainly mid-transaction: from invocation KillAfterInvocations on, endpoint#1's
            //    handlers write their effect and stop there, transaction open (Chaos:FreezeAfterInvocations); the kill
            //    follows their report. Waiting on a signal instead of polling for a lucky moment keeps the test deterministic.
            var frozen = first.WaitUntilFrozen(TimeSpan.FromSeconds(90));
            await Task.WhenAny(frozen, sending);
            if (sending.IsFaulted) await sending;
            await frozen;
            await first.KillHard(TimeSpan.FromSeconds(10));
            var killedAt = sendClock.Elapsed;
            var sentAtKill = _sent;

            var effectsAtKill = await Count(databaseConnectionString, "chaos_effects");
            var attemptsAtKill = await Count(databaseConnectionString, "chaos_attempts");
            // the inbox row commits with the message's transaction: ids invoked but without one were cut off by the kill
            var committedAtKill = await Scalar(databaseConnectionString, $"SELECT count(*) FROM hub.inbox WHERE endpoint = '{endpoint}'");
            var startedNotCommitted = await Scalar(databaseConnectionString, "SELECT count(DISTINCT id) FROM chaos_attempts") - committedAtKill;
            Log($"kill -9 endpoint#1 at {killedAt.TotalSeconds:0.00} s after the first send: {sentAtKill} sent, {committedAtKill} messages committed " +
                $"(inbox), {effectsAtKill} effects, {attemptsAtKill} invocations, {startedNotCommitted} started but not committed (cut off by the kill, must be redelivered)");
            Assert.True(effectsAtKill < MessageCount, "the kill happened mid-flow");
            // the crash interrupted the frozen handlers (and any others) between their inbox claim and their commit
            Assert.InRange(startedNotCommitted, MinInFlightAtKill, MaxParallelism);

            // 4. restart, and everything is handled in the end
            var second = ChaosEndpointProcess.Start("endpoint#2", restartEnvironment);
            processes.Add(second);
            await second.WaitUntilReady(ReadyTimeout);
            var restartedAt = sendClock.Elapsed;
            Log($"endpoint#2 (pid {second.Id}) ready {(restartedAt - killedAt).TotalSeconds:0.00} s after the kill");

            await sending;
            var sendSeconds = _sendSeconds;
            await Eventually.Until(async () => await Count(databaseConnectionString, "chaos_effects") >= MessageCount || second.HasExited,
                CompletionTimeout, $"all {MessageCount} effects are committed after the restart");
            Assert.False(second.HasExited, "endpoint#2 is still running");
            var doneAt = sendClock.Elapsed;

            // 5. nothing left: no message ready or unacknowledged in the queue, nothing in the error queue
            await Eventually.Until(async () => await RabbitMqBroker.ReadyAndUnackedAsync(queue) is (0, 0), TimeSpan.FromSeconds(60),
                $"{queue} is empty (no ready and no unacknowledged message; rabbitmqctl)");
            Assert.Equal(0u, await ErrorQueueCount(errorQueue));
            // nor parked for a delayed retry (a failing handler, e.g. a duplicate effect, would wait there before the error queue)
            Assert.Equal(0L, await Count(databaseConnectionString, "rebus.timeouts"));

            // 6. every id has exactly one committed effect; invocations beyond one per message are bounded by what was in flight
            var effectIds = await Ids(databaseConnectionString, "SELECT id FROM chaos_effects");
            var expected = Enumerable.Range(0, MessageCount).Select(IdOf).ToHashSet();
            Assert.Equal(MessageCount, effectIds.Count);
            Assert.True(expected.SetEquals(effectIds), $"effects are exactly the {MessageCount} ids sent ({expected.Except(effectIds).Count()} missing)");
            // chaos_effects.id is the PRIMARY KEY: a second effect for an id cannot exist (it would fail the insert and land
            // in the error queue, checked empty above); the query states it anyway.
            Assert.Equal(0L, await Scalar(databaseConnectionString, "SELECT count(*) FROM (SELECT id FROM chaos_effects GROUP BY id HAVING count(*) > 1) d"));
            Assert.Equal((long)MessageCount, await Scalar(databaseConnectionString, $"SELECT count(*) FROM hub.inbox WHERE endpoint = '{endpoint}'"));

            var attempts = await Count(databaseConnectionString, "chaos_attempts");
            var distinctAttempted = await Scalar(databaseConnectionString, "SELECT count(DISTINCT id) FROM chaos_attempts");
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
        }
        catch
        {
            foreach (var process in processes)
            {
                Log($"--- last output of {process.Label} (pid {process.Id}) ---");
                foreach (var line in process.Output) Log(line);
            }
            throw;
        }
        finally
        {
            foreach (var process in processes) process.Dispose();   // kills whatever still runs
            client?.Dispose();
            await BestEffort(() => RabbitMqBroker.DeleteQueueAsync(queue), $"delete queue {queue}");
            await BestEffort(() => RabbitMqBroker.DeleteQueueAsync(errorQueue), $"delete queue {errorQueue}");
            await BestEffort(() => Execute(PostgresServerConnectionString, $"DROP DATABASE IF EXISTS {database} WITH (FORCE)"), $"drop database {database}");
        }
    }

    int _sent;
    double _sendSeconds;

    async Task SendAll(IBus bus, string queue)
    {
        var clock = Stopwatch.StartNew();
        for (var start = 0; start < MessageCount; start += SendBatch)
        {
            // one transaction scope per batch: the transport publishes the batch with one round of confirms
            using var scope = new RebusTransactionScope();
            for (var i = start; i < Math.Min(start + SendBatch, MessageCount); i++)
                await bus.Advanced.Routing.Send(queue, new Work(IdOf(i)));
            await scope.CompleteAsync();
            Interlocked.Exchange(ref _sent, Math.Min(start + SendBatch, MessageCount));
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

    static Task<long> Count(string connectionString, string table) => Scalar(connectionString, $"SELECT count(*) FROM {table}");

    static async Task<HashSet<string>> Ids(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        while (await reader.ReadAsync()) ids.Add(reader.GetString(0));
        return ids;
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
}
