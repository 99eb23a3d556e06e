using System.Collections.Concurrent;
using System.Diagnostics;
using IntegrationHub.Hosting.Observability;
using Npgsql;
using Rebus.Logging;
using Rebus.Messages;
using Rebus.Transport;

namespace IntegrationHub.Hosting.Persistence;

/// <summary>
/// One PostgreSQL transaction per handled message: it claims the message in the inbox, holds the saga changes,
/// and stores the messages the handler sends in the outbox — all committed together, or not at all.
/// The connection is opened when the message arrives (its inbox claim), or — for a handler that calls an external
/// system — only at its first database work after the call (<see cref="ClaimsOnBegin"/>); it lives in the Rebus
/// transaction context.
/// </summary>
internal sealed class PostgreSqlUnitOfWork(string connectionString, string endpoint, string messageId, InboxClaim claim = InboxClaim.None) : IAsyncDisposable
{
    const string Key = "hub-postgresql-unit-of-work";

    readonly ConcurrentQueue<(string Destination, TransportMessage Message)> _outgoing = new();
    readonly List<DeferredWrite> _deferred = [];
    NpgsqlConnection? _connection;
    NpgsqlTransaction? _transaction;
    bool _claimPending = claim != InboxClaim.None;

    public static PostgreSqlUnitOfWork? Current =>
        AmbientTransactionContext.Current?.Items.TryGetValue(Key, out var item) == true ? item as PostgreSqlUnitOfWork : null;

    public static PostgreSqlUnitOfWork? In(ITransactionContext context) =>
        context.Items.TryGetValue(Key, out var item) ? item as PostgreSqlUnitOfWork : null;

    public void AttachTo(ITransactionContext context) => context.Items[Key] = this;

    public IReadOnlyCollection<(string Destination, TransportMessage Message)> Outgoing => _outgoing;

    public string MessageId => messageId;

    public string Endpoint => endpoint;

    public string ConnectionString => connectionString;

    /// <summary>The inbox claim waits for the handler's first database work, after its external call (<see cref="InboxClaim.AtFirstDatabaseWork"/>).</summary>
    public bool ClaimsOnBegin => claim == InboxClaim.AtFirstDatabaseWork;

    /// <summary>True once something has run SQL in this unit of work.</summary>
    public bool HasConnection => _connection is not null;

    /// <summary>The transaction, opened on first use; its first statement is the inbox claim, if one is still to be made.</summary>
    public async Task<(NpgsqlConnection Connection, NpgsqlTransaction Transaction)> Begin()
    {
        var (connection, transaction) = await Open();
        if (_claimPending)
        {
            var started = Stopwatch.GetTimestamp();
            await using var batch = new NpgsqlBatch(connection, transaction) { BatchCommands = { ClaimCommand() } };
            await using (var reader = await batch.ExecuteReaderAsync())
                Claimed(await reader.ReadAsync());
            StepStages.Record(StepStages.InboxClaim, endpoint, started);
        }
        return (connection, transaction);
    }

    /// <summary>Claims the message now unless that is done (<see cref="InboxClaim.BeforeHandlers"/>): before the handlers run.</summary>
    public async Task ClaimBeforeHandlers()
    {
        if (claim == InboxClaim.BeforeHandlers && _claimPending) await Begin();
    }

    /// <summary>
    /// Runs <paramref name="query"/> in this transaction; if the inbox claim is still to be made, in one round trip
    /// with it (a saga's lookup, the first statement of most steps). Throws <see cref="MessageAlreadyHandledException"/>
    /// for a redelivery; the reader is at the query's results.
    /// </summary>
    public async Task<(NpgsqlBatch Batch, NpgsqlDataReader Reader)> Query(NpgsqlBatchCommand query)
    {
        var (connection, transaction) = await Open();
        var batch = new NpgsqlBatch(connection, transaction);
        var claims = _claimPending;
        if (claims) batch.BatchCommands.Add(ClaimCommand());
        batch.BatchCommands.Add(query);
        NpgsqlDataReader? reader = null;
        try
        {
            reader = await batch.ExecuteReaderAsync();
            if (claims)
            {
                Claimed(await reader.ReadAsync());
                await reader.NextResultAsync();
            }
            return (batch, reader);
        }
        catch
        {
            if (reader is not null) await reader.DisposeAsync();
            await batch.DisposeAsync();
            throw;
        }
    }

    async Task<(NpgsqlConnection, NpgsqlTransaction)> Open()
    {
        if (_connection is null)
        {
            _connection = new NpgsqlConnection(connectionString);
            await _connection.OpenAsync();
            _transaction = await _connection.BeginTransactionAsync();
        }
        return (_connection, _transaction!);
    }

    NpgsqlBatchCommand ClaimCommand()
    {
        var command = new NpgsqlBatchCommand("INSERT INTO hub.inbox (endpoint, message_id) VALUES (@endpoint, @id) ON CONFLICT DO NOTHING RETURNING 1");
        command.Parameters.AddWithValue("endpoint", endpoint);
        command.Parameters.AddWithValue("id", messageId);
        return command;
    }

    /// <summary>The claim's outcome: no row means the message was handled and committed before (a redelivery).</summary>
    void Claimed(bool inserted)
    {
        if (!inserted) throw new MessageAlreadyHandledException(messageId, endpoint);
        _claimPending = false;
    }

    public void Enqueue(string destination, TransportMessage message) => _outgoing.Enqueue((destination, message));

    /// <summary>
    /// A write that nothing in this transaction reads back (saga changes): it goes to the database with the outbox rows,
    /// in one round trip at <see cref="Commit"/>. <paramref name="check"/> is given the rows it changed and returns the
    /// exception that must stop the commit (a concurrent change), or null; <paramref name="failure"/> may say what a
    /// database error of this write means (a unique violation as a concurrent insert, say).
    /// </summary>
    public void Defer(NpgsqlBatchCommand command, Func<int, Exception?>? check = null, Func<PostgresException, Exception?>? failure = null) =>
        _deferred.Add(new(command, check, failure));

    /// <summary>
    /// Writes the deferred changes and the outgoing messages (one round trip), then commits; returns the outbox ids to
    /// delete once the messages are sent. A failed check or write rolls everything back (the transaction is disposed).
    /// </summary>
    public async Task<long[]> Commit()
    {
        var (connection, transaction) = await Begin();
        var messages = OutboxMessages;
        long[] ids = [];
        if (_deferred.Count > 0 || messages.Count > 0)
        {
            var started = Stopwatch.GetTimestamp();
            await using var batch = new NpgsqlBatch(connection, transaction);
            // The outbox insert first: its ids are then the first result set.
            if (messages.Count > 0) batch.BatchCommands.Add(OutboxRows.Command(endpoint, messages));
            foreach (var write in _deferred) batch.BatchCommands.Add(write.Command);
            try
            {
                await using var reader = await batch.ExecuteReaderAsync();
                if (messages.Count > 0) ids = await OutboxRows.ReadIds(reader, messages.Count);
                while (await reader.NextResultAsync()) { }
            }
            catch (PostgresException exception) when (_deferred.FirstOrDefault(w => w.Command == exception.BatchCommand).Failure?.Invoke(exception) is { } meaning)
            {
                throw meaning;
            }
            foreach (var write in _deferred)
                if (write.Check?.Invoke((int)Math.Min(write.Command.RecordsAffected, int.MaxValue)) is { } conflict)
                    throw conflict;
            StepStages.Record(StepStages.OutboxWrite, endpoint, started);
        }

        var committing = Stopwatch.GetTimestamp();
        await transaction.CommitAsync();
        StepStages.Record(StepStages.Commit, endpoint, committing);
        return ids;
    }

    /// <summary>The messages the handler or API sent in this unit of work, as the outbox stores them.</summary>
    public IReadOnlyCollection<OutboxMessage> OutboxMessages => _outgoing.Select(o => new OutboxMessage(messageId, o.Destination, o.Message)).ToList();

    readonly record struct DeferredWrite(NpgsqlBatchCommand Command, Func<int, Exception?>? Check, Func<PostgresException, Exception?>? Failure);

    public async ValueTask DisposeAsync()
    {
        if (_transaction is not null) await _transaction.DisposeAsync();
        if (_connection is not null) await _connection.DisposeAsync();
    }
}

/// <summary>When a handled message is recorded in the endpoint's inbox, in its transaction.</summary>
internal enum InboxClaim
{
    /// <summary>Not a handled message (an API's transaction): nothing to claim.</summary>
    None,

    /// <summary>Before the handlers run: with the saga lookup when there is one, else just before the handlers.</summary>
    BeforeHandlers,

    /// <summary>At the handler's first database work (after its external call), or at the commit.</summary>
    AtFirstDatabaseWork,
}

/// <summary>The message was handled and committed before (a redelivery): its handling stops, changing nothing.</summary>
internal sealed class MessageAlreadyHandledException(string messageId, string endpoint)
    : Exception($"Message {messageId} was already handled by {endpoint}");
