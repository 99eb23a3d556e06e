using System.Diagnostics;
using System.Threading.Channels;
using IntegrationHub.Hosting.Observability;
using Npgsql;
using Rebus.Logging;

namespace IntegrationHub.Hosting.Persistence;

/// <summary>
/// Writes the rows of many items of one kind (department requests, payment intents...) at once, set-based, in the
/// transaction of a group commit. See <see cref="HubTransaction.Complete{TItem}"/>.
/// </summary>
public interface IGroupWriter<TItem>
{
    /// <summary>
    /// Writes the rows of <paramref name="items"/> in <paramref name="transaction"/> and says, per item, whether it was
    /// stored. An item that is not stored (its idempotency key was already taken, say) must leave no rows behind: its
    /// messages are not sent and its caller is told <c>false</c>. When PostgreSQL refuses a statement, the group is
    /// committed again item by item, so one bad item fails alone; any other exception fails the whole group.
    /// </summary>
    Task<bool[]> Write(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<TItem> items, CancellationToken cancellationToken);
}

/// <summary>
/// Group commit for work outside handlers (HTTP APIs): concurrent callers' items and outgoing messages are written by
/// one PostgreSQL transaction — the items' rows by an <see cref="IGroupWriter{TItem}"/>, the messages to the outbox
/// in one statement — then the messages are sent and every caller is answered. Under load a commit carries many
/// items, so the database does a few set-based statements instead of a transaction per item; with a single caller
/// it is an ordinary transaction with no added wait. A few writers work in turn, so one group fills while another
/// commits.
/// </summary>
internal sealed class GroupCommit<TItem> : IAsyncDisposable
{
    internal sealed record Entry(TItem Item, IReadOnlyCollection<OutboxMessage> Messages, TaskCompletionSource<bool> Stored);

    public const int Writers = 3;
    public const int MaxGroup = 200;

    readonly string _connectionString;
    readonly string _endpoint;
    readonly IGroupWriter<TItem> _rows;
    readonly AfterCommitSends _sends;
    readonly ILog _log;
    readonly Channel<Entry> _queue = Channel.CreateUnbounded<Entry>();
    readonly Task[] _writers;

    public GroupCommit(string connectionString, string endpoint, IGroupWriter<TItem> rows, AfterCommitSends sends, ILog log)
    {
        _connectionString = connectionString;
        _endpoint = endpoint;
        _rows = rows;
        _sends = sends;
        _log = log;
        // The writers must not inherit the first caller's ambient Rebus transaction (an AsyncLocal).
        using (ExecutionContext.SuppressFlow())
            _writers = Enumerable.Range(0, Writers).Select(_ => Task.Run(Write)).ToArray();
    }

    public Task<bool> Submit(TItem item, IReadOnlyCollection<OutboxMessage> messages)
    {
        var entry = new Entry(item, messages, new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(entry))
            throw new InvalidOperationException($"Endpoint {_endpoint} is stopping; nothing was stored.");
        return entry.Stored.Task;
    }

    async Task Write()
    {
        var group = new List<Entry>(MaxGroup);
        while (await _queue.Reader.WaitToReadAsync())
        {
            group.Clear();
            while (group.Count < MaxGroup && _queue.Reader.TryRead(out var entry)) group.Add(entry);
            if (group.Count > 0) await Commit(group);
        }
    }

    async Task Commit(IReadOnlyList<Entry> group)
    {
        var started = Stopwatch.GetTimestamp();
        bool[] stored;
        long[] outboxIds;
        try
        {
            (stored, outboxIds) = await Store(group);
        }
        catch (PostgresException exception) when (group.Count > 1)
        {
            // The server refused something (a value, a constraint, a deadlock): perhaps one item's fault, so the others
            // are committed without it. Connection failures are not retried this way: every item would wait again.
            _log.Warn("A group commit of {count} items in {endpoint} failed ({message}); committing them one by one",
                group.Count, _endpoint, exception.MessageText);
            foreach (var entry in group) await Commit([entry]);
            return;
        }
        catch (Exception exception)
        {
            foreach (var entry in group) entry.Stored.TrySetException(exception);
            return;
        }

        // Committed: the callers are answered now, and the outbox guarantees their messages whatever the broker does.
        for (var i = 0; i < group.Count; i++) group[i].Stored.TrySetResult(stored[i]);
        _sends.Start(group.Where((_, i) => stored[i]).SelectMany(e => e.Messages).ToList(), outboxIds);
        HubMetrics.GroupCommitted(_endpoint, group.Count, Stopwatch.GetElapsedTime(started));
    }

    async Task<(bool[] Stored, long[] OutboxIds)> Store(IReadOnlyList<Entry> group)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var stored = await _rows.Write(connection, transaction, group.Select(e => e.Item).ToList(), CancellationToken.None);
        if (stored.Length != group.Count)
            throw new InvalidOperationException($"{_rows.GetType().Name} answered for {stored.Length} of {group.Count} items.");
        var messages = group.Where((_, i) => stored[i]).SelectMany(e => e.Messages).ToList();
        var outboxIds = await OutboxRows.Insert(connection, transaction, _endpoint, messages);
        await transaction.CommitAsync();
        return (stored, outboxIds);
    }

    /// <summary>Commits what was submitted, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_writers);
    }
}
