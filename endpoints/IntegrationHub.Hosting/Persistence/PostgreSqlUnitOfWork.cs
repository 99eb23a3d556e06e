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
internal sealed class PostgreSqlUnitOfWork(string connectionString, string endpoint, string messageId, bool claimsOnBegin = false) : IAsyncDisposable
{
    const string Key = "hub-postgresql-unit-of-work";

    readonly ConcurrentQueue<(string Destination, TransportMessage Message)> _outgoing = new();
    readonly List<DeferredWrite> _deferred = [];
    NpgsqlConnection? _connection;
    NpgsqlTransaction? _transaction;

    public static PostgreSqlUnitOfWork? Current =>
        AmbientTransactionContext.Current?.Items.TryGetValue(Key, out var item) == true ? item as PostgreSqlUnitOfWork : null;

    public static PostgreSqlUnitOfWork? In(ITransactionContext context) =>
        context.Items.TryGetValue(Key, out var item) ? item as PostgreSqlUnitOfWork : null;

    public void AttachTo(ITransactionContext context) => context.Items[Key] = this;

    public IReadOnlyCollection<(string Destination, TransportMessage Message)> Outgoing => _outgoing;

    public string MessageId => messageId;

    public string Endpoint => endpoint;

    public string ConnectionString => connectionString;

    /// <summary>The inbox claim is the first statement of <see cref="Begin"/>, not made when the message arrives.</summary>
    public bool ClaimsOnBegin => claimsOnBegin;

    /// <summary>True once something has run SQL in this unit of work.</summary>
    public bool HasConnection => _connection is not null;

    public async Task<(NpgsqlConnection Connection, NpgsqlTransaction Transaction)> Begin()
    {
        if (_connection is null)
        {
            _connection = new NpgsqlConnection(connectionString);
            await _connection.OpenAsync();
            _transaction = await _connection.BeginTransactionAsync();
            if (claimsOnBegin && !await Claim(_connection, _transaction))
                throw new MessageAlreadyHandledException(messageId, endpoint);
        }
        return (_connection, _transaction!);
    }

    /// <summary>Records the message as handled by this endpoint; false when it already was (a redelivery).</summary>
    public async Task<bool> ClaimInbox()
    {
        var (connection, transaction) = await Begin();
        return await Claim(connection, transaction);
    }

    async Task<bool> Claim(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        await using var command = new NpgsqlCommand(
            "INSERT INTO hub.inbox (endpoint, message_id) VALUES (@endpoint, @id) ON CONFLICT DO NOTHING", connection, transaction);
        command.Parameters.AddWithValue("endpoint", endpoint);
        command.Parameters.AddWithValue("id", messageId);
        return await command.ExecuteNonQueryAsync() == 1;
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

/// <summary>The message was handled and committed before (a redelivery): its handling stops, changing nothing.</summary>
internal sealed class MessageAlreadyHandledException(string messageId, string endpoint)
    : Exception($"Message {messageId} was already handled by {endpoint}");
