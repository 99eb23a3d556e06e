using System.Collections.Concurrent;
using System.Text.Json;
using Npgsql;
using Rebus.Logging;
using Rebus.Messages;
using Rebus.Transport;

namespace IntegrationHub.Hosting.Persistence;

/// <summary>
/// Removes the outbox rows of messages that were sent (collected from every handler, deleted in batches), and sends
/// outbox messages that were committed but not sent (the process stopped, or the broker was away, between
/// commit and send), oldest first, and forgets inbox entries and outbound call records older than their retention. Several instances of an
/// endpoint share the work through row locks.
/// </summary>
internal sealed class OutboxForwarder : IDisposable
{
    static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);
    static readonly TimeSpan Grace = TimeSpan.FromSeconds(10);    // the normal path sends within milliseconds, and its rows are removed within a second
    static readonly TimeSpan InboxRetention = TimeSpan.FromDays(7);
    // Longer than the inbox: a message an operator retries from the error queue weeks later still finds its attempts.
    static readonly TimeSpan OutboundCallRetention = TimeSpan.FromDays(30);
    const int BatchSize = 100;

    readonly string _connectionString;
    readonly string _endpoint;
    readonly ITransport _transport;
    readonly ILog _log;
    readonly CancellationTokenSource _stop = new();
    readonly ConcurrentQueue<long> _sent = new();
    readonly Task _loop;

    public OutboxForwarder(string connectionString, string endpoint, ITransport transport, IRebusLoggerFactory loggerFactory)
    {
        _connectionString = connectionString;
        _endpoint = endpoint;
        _transport = transport;
        _log = loggerFactory.GetLogger<OutboxForwarder>();
        _loop = Task.Run(Run);
    }

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
                        while (await ForwardBatch() == BatchSize) { }
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

    internal async Task<int> ForwardBatch()
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync(_stop.Token);
        await using var transaction = await connection.BeginTransactionAsync(_stop.Token);

        var pending = new List<(long Id, string Destination, TransportMessage Message)>();
        await using (var select = new NpgsqlCommand("""
            SELECT id, destination, headers::text, body FROM hub.outbox
            WHERE endpoint = @endpoint AND created_at < now() - @grace
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
                pending.Add((reader.GetInt64(0), reader.GetString(1), new TransportMessage(headers, (byte[])reader[3])));
            }
        }
        if (pending.Count == 0) return 0;

        using (var scope = new RebusTransactionScope())
        {
            foreach (var (_, destination, message) in pending)
                await _transport.Send(destination, message, scope.TransactionContext);
            await scope.CompleteAsync();
        }

        await using (var delete = new NpgsqlCommand("DELETE FROM hub.outbox WHERE id = ANY(@ids)", connection, transaction))
        {
            delete.Parameters.AddWithValue("ids", pending.Select(p => p.Id).ToArray());
            await delete.ExecuteNonQueryAsync(_stop.Token);
        }
        await transaction.CommitAsync(_stop.Token);
        _log.Info("Outbox forwarder of {endpoint} sent {count} message(s) left from earlier", _endpoint, pending.Count);
        return pending.Count;
    }

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
