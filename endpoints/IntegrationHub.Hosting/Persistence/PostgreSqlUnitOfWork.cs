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

    /// <summary>Stores the outgoing messages and commits; returns the outbox ids to delete once they are sent.</summary>
    public async Task<long[]> Commit()
    {
        var (connection, transaction) = await Begin();
        var started = Stopwatch.GetTimestamp();
        var ids = await OutboxRows.Insert(connection, transaction, endpoint, OutboxMessages);
        StepStages.Record(StepStages.OutboxWrite, endpoint, started);
        var committing = Stopwatch.GetTimestamp();
        await transaction.CommitAsync();
        StepStages.Record(StepStages.Commit, endpoint, committing);
        return ids;
    }

    /// <summary>The messages the handler or API sent in this unit of work, as the outbox stores them.</summary>
    public IReadOnlyCollection<OutboxMessage> OutboxMessages => _outgoing.Select(o => new OutboxMessage(messageId, o.Destination, o.Message)).ToList();

    /// <summary>
    /// Commits, then sends the stored messages at once and hands their outbox rows to the forwarder to remove (in
    /// batches: one commit per handled message, not two); see <see cref="AfterCommitSends"/>.
    /// </summary>
    public async Task CommitAndDispatch(ITransport transport, OutboxForwarder outbox, ILog log)
    {
        var ids = await Commit();
        var sending = Stopwatch.GetTimestamp();
        await AfterCommitSends.SendNow(transport, outbox, log, endpoint, OutboxMessages, ids);
        StepStages.Record(StepStages.Send, endpoint, sending);
    }

    public async ValueTask DisposeAsync()
    {
        if (_transaction is not null) await _transaction.DisposeAsync();
        if (_connection is not null) await _connection.DisposeAsync();
    }
}

/// <summary>The message was handled and committed before (a redelivery): its handling stops, changing nothing.</summary>
internal sealed class MessageAlreadyHandledException(string messageId, string endpoint)
    : Exception($"Message {messageId} was already handled by {endpoint}");
