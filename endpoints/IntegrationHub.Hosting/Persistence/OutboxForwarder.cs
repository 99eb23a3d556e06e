using System.Collections.Concurrent;
using System.Text.Json;
using IntegrationHub.Hosting.Observability;
using Npgsql;
using Rebus.Logging;
using Rebus.Messages;
using Rebus.Transport;

namespace IntegrationHub.Hosting.Persistence;

/// <summary>
/// The endpoint's outbox keeper. It removes the rows of messages that were sent (collected from every handler and API,
/// deleted in batches); sends, oldest first and each on its own, messages that were committed but not sent (the process
/// stopped, or the broker was away, between commit and send) — a message that fails waits with backoff without holding
/// back the others, and is parked for operators (<c>hubctl outbox list | retry</c>) once it has failed for
/// <see cref="OutboxOptions.ParkAfter"/>; counts what is waiting (<see cref="Pending"/>); and forgets inbox entries and
/// outbound call records older than their retention. Several instances of an endpoint share the work through row locks.
/// </summary>
internal sealed class OutboxForwarder : IDisposable
{
    static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);
    static readonly TimeSpan Grace = TimeSpan.FromSeconds(10);    // the normal path sends within milliseconds of the commit
    static readonly TimeSpan LongestBackoff = TimeSpan.FromMinutes(5);
    static readonly TimeSpan InboxRetention = TimeSpan.FromDays(7);
    // Longer than the inbox: a message an operator retries from the error queue weeks later still finds its attempts.
    static readonly TimeSpan OutboundCallRetention = TimeSpan.FromDays(30);
    const int BatchSize = 100;

    readonly string _connectionString;
    readonly string _endpoint;
    readonly ITransport _transport;
    readonly OutboxOptions _options;
    readonly HubMetrics _metrics;
    readonly ILog _log;
    readonly CancellationTokenSource _stop = new();
    readonly ConcurrentQueue<long> _sent = new();
    readonly Task _loop;
    long _pending;

    public OutboxForwarder(string connectionString, string endpoint, ITransport transport, OutboxOptions options, HubMetrics metrics,
        IRebusLoggerFactory loggerFactory)
    {
        _connectionString = connectionString;
        _endpoint = endpoint;
        _transport = transport;
        _options = options;
        _metrics = metrics;
        _log = loggerFactory.GetLogger<OutboxForwarder>();
        _loop = Task.Run(Run);
    }

    /// <summary>Messages of this endpoint stored and not yet sent (as counted at most a second ago), parked ones included.</summary>
    public long Pending => Interlocked.Read(ref _pending);

    /// <summary>True when the endpoint holds as many unsent messages as it may (<see cref="OutboxOptions.MaxPending"/>).</summary>
    public bool IsFull => Pending >= _options.MaxPending;

    public int MaxPending => _options.MaxPending;

    async Task Run()
    {
        using var timer = new PeriodicTimer(Interval);
        var cycles = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                try
                {
                    await RemoveSent();
                    if (cycles++ % 4 == 0)
                    {
                        await CountPending();
                        while (await ForwardBatch() == BatchSize) { }
                    }
                    if (cycles % 2400 == 0) await ForgetOldInboxEntries();
                }
                catch (Exception exception) when (!_stop.IsCancellationRequested)
                {
                    _log.Warn(exception, "Outbox forwarder of {endpoint} failed; it tries again in {interval}", _endpoint, Interval);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>Outbox rows whose messages the broker confirmed; removed by the next cycle.</summary>
    public void Sent(IEnumerable<long> outboxIds)
    {
        foreach (var id in outboxIds) _sent.Enqueue(id);
    }

    async Task RemoveSent()
    {
        var ids = new List<long>();
        while (ids.Count < 50_000 && _sent.TryDequeue(out var id)) ids.Add(id);
        if (ids.Count == 0) return;
        try
        {
            await DeleteRows(ids.ToArray(), _stop.Token);
        }
        catch
        {
            foreach (var id in ids) _sent.Enqueue(id); // next cycle; meanwhile the rows are only older than they should be
            throw;
        }
    }

    async Task CountPending()
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync(_stop.Token);
        await using var count = new NpgsqlCommand("SELECT count(*) FROM hub.outbox WHERE endpoint = @endpoint", connection);
        count.Parameters.AddWithValue("endpoint", _endpoint);
        Interlocked.Exchange(ref _pending, (long)(await count.ExecuteScalarAsync(_stop.Token))!);
    }

    sealed record Row(long Id, string Destination, TransportMessage Message, int Attempts);

    /// <summary>Sends the due messages left over, each on its own; returns how many it took up.</summary>
    internal async Task<int> ForwardBatch()
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync(_stop.Token);
        await using var transaction = await connection.BeginTransactionAsync(_stop.Token);

        var due = new List<Row>();
        await using (var select = new NpgsqlCommand("""
            SELECT id, destination, headers::text, body, attempts FROM hub.outbox
            WHERE endpoint = @endpoint AND parked_at IS NULL AND created_at < clock_timestamp() - @grace
              AND (next_attempt_at IS NULL OR next_attempt_at <= clock_timestamp())
            ORDER BY id LIMIT @limit FOR UPDATE SKIP LOCKED
            """, connection, transaction))
        {
            select.Parameters.AddWithValue("endpoint", _endpoint);
            select.Parameters.AddWithValue("grace", Grace);
            select.Parameters.AddWithValue("limit", BatchSize);
            await using var reader = await select.ExecuteReaderAsync(_stop.Token);
            while (await reader.ReadAsync(_stop.Token))
            {
                var headers = JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(2))!;
                due.Add(new Row(reader.GetInt64(0), reader.GetString(1), new TransportMessage(headers, (byte[])reader[3]), reader.GetInt32(4)));
            }
        }
        if (due.Count == 0) return 0;

        var outcomes = await Task.WhenAll(due.Select(Send));
        var sent = due.Where((_, i) => outcomes[i] is null).Select(r => r.Id).ToArray();
        var failed = due.Select((row, i) => (row, Error: outcomes[i])).Where(f => f.Error is not null).ToList();

        if (sent.Length > 0)
        {
            await using var delete = new NpgsqlCommand("DELETE FROM hub.outbox WHERE id = ANY(@ids)", connection, transaction);
            delete.Parameters.AddWithValue("ids", sent);
            await delete.ExecuteNonQueryAsync(_stop.Token);
        }
        var parked = 0;
        if (failed.Count > 0)
        {
            // One statement for every failed row (a broker outage fails the whole batch, every second).
            await using var update = new NpgsqlCommand("""
                UPDATE hub.outbox o SET attempts = o.attempts + 1, last_error = f.error, next_attempt_at = clock_timestamp() + f.backoff,
                    parked_at = CASE WHEN o.created_at < clock_timestamp() - @park_after THEN clock_timestamp() END
                FROM unnest(@ids, @errors, @backoffs) AS f(id, error, backoff)
                WHERE o.id = f.id
                RETURNING o.id, o.parked_at IS NOT NULL
                """, connection, transaction);
            update.Parameters.AddWithValue("ids", failed.Select(f => f.row.Id).ToArray());
            update.Parameters.AddWithValue("errors", failed.Select(f => f.Error!).ToArray());
            update.Parameters.AddWithValue("backoffs", failed.Select(f => Backoff(f.row.Attempts + 1)).ToArray());
            update.Parameters.AddWithValue("park_after", _options.ParkAfter);
            var parkedIds = new HashSet<long>();
            await using (var reader = await update.ExecuteReaderAsync(_stop.Token))
                while (await reader.ReadAsync(_stop.Token))
                    if (reader.GetBoolean(1)) parkedIds.Add(reader.GetInt64(0));
            foreach (var (row, error) in failed.Where(f => parkedIds.Contains(f.row.Id)))
                _log.Error("Outbox message {outboxId} of {endpoint} to {destination} could not be sent for {parkAfter} ({error}); parked: see hubctl outbox list",
                    row.Id, _endpoint, row.Destination, _options.ParkAfter, error);
            parked = parkedIds.Count;
        }
        await transaction.CommitAsync(_stop.Token);

        if (parked > 0) _metrics.OutboxParked(parked);
        if (sent.Length > 0)
            _log.Info("Outbox forwarder of {endpoint} sent {count} message(s) left from earlier", _endpoint, sent.Length);
        if (failed.Count > parked)
            _log.Warn("Outbox forwarder of {endpoint} could not send {count} message(s) yet (first: {error}); each is tried again with backoff",
                _endpoint, failed.Count - parked, failed[0].Error);
        return due.Count;
    }

    /// <summary>Null when the broker confirmed the message; otherwise why not, for the row and the log.</summary>
    async Task<string?> Send(Row row)
    {
        try
        {
            using var scope = new RebusTransactionScope();
            await _transport.Send(row.Destination, row.Message, scope.TransactionContext);
            await scope.CompleteAsync();
            return null;
        }
        catch (Exception exception)
        {
            return OperatorErrors.Describe(exception);
        }
    }

    static TimeSpan Backoff(int attempts) =>
        TimeSpan.FromSeconds(Math.Min(LongestBackoff.TotalSeconds, Math.Pow(2, Math.Min(attempts, 16))));

    async Task ForgetOldInboxEntries()
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync(_stop.Token);
        await using var delete = new NpgsqlCommand("""
            DELETE FROM hub.inbox WHERE endpoint = @endpoint AND processed_at < now() - @inbox;
            DELETE FROM hub.outbound_calls WHERE endpoint = @endpoint AND last_attempt_at < now() - @outbound;
            """, connection);
        delete.Parameters.AddWithValue("endpoint", _endpoint);
        delete.Parameters.AddWithValue("inbox", InboxRetention);
        delete.Parameters.AddWithValue("outbound", OutboundCallRetention);
        await delete.ExecuteNonQueryAsync(_stop.Token);
    }

    public void Dispose()
    {
        _stop.Cancel();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        _stop.Dispose();
        if (!_sent.IsEmpty)
        {
            // Last removal on the way out; what is left would be sent again (and deduplicated) after a restart.
            try { DeleteRows(_sent.ToArray(), CancellationToken.None).GetAwaiter().GetResult(); } catch (Exception exception) { _log.Warn(exception, "Could not remove {count} sent outbox row(s) of {endpoint}", _sent.Count, _endpoint); }
        }
    }

    async Task DeleteRows(long[] ids, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var delete = new NpgsqlCommand("DELETE FROM hub.outbox WHERE id = ANY(@ids)", connection);
        delete.Parameters.AddWithValue("ids", ids);
        await delete.ExecuteNonQueryAsync(cancellationToken);
    }
}
