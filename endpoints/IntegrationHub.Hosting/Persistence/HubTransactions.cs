using System.Collections.Concurrent;
using Rebus.Logging;
using Rebus.Transport;

namespace IntegrationHub.Hosting.Persistence;

/// <summary>
/// Work outside a message handler — typically an HTTP request — that writes state and sends messages, atomically:
/// <code>
/// await using var transaction = transactions.Begin();
/// await store.Save(request);              // via HandlerDatabase, in the transaction (PostgreSQL mode)
/// await bus.Send(new ForwardRequest(...)); // held in the outbox until Complete
/// await transaction.Complete();           // one commit; then the messages leave
/// </code>
/// Without <see cref="HubTransaction.Complete()"/> nothing is written and nothing is sent. For an API under load,
/// <see cref="HubTransaction.Complete{TItem}"/> commits many concurrent requests' work in one transaction.
/// </summary>
public sealed class HubTransactions : IAsyncDisposable
{
    readonly string? _connectionString;
    readonly string _endpoint;
    readonly Func<OutboxForwarder> _outbox;
    readonly ILog _log;
    readonly AfterCommitSends _sends;
    readonly ConcurrentDictionary<object, IAsyncDisposable> _groups = new(ReferenceEqualityComparer.Instance);
    volatile bool _stopped;

    internal HubTransactions(string? postgresConnectionString, string endpoint, Func<ITransport> transport, Func<OutboxForwarder> outbox, IRebusLoggerFactory loggerFactory)
    {
        _connectionString = postgresConnectionString;
        _endpoint = endpoint;
        _outbox = outbox;
        _log = loggerFactory.GetLogger<HubTransactions>();
        _sends = new AfterCommitSends(endpoint, transport, outbox, _log);
    }

    /// <summary>
    /// A new transaction. Refused (<see cref="OutboxFullException"/>) while the endpoint holds as many unsent messages
    /// as it may (<c>Hub:Outbox:MaxPending</c>): the broker has been away too long to take more work on trust.
    /// </summary>
    public HubTransaction Begin()
    {
        if (_connectionString is not null && _outbox() is { IsFull: true } full)
            throw new OutboxFullException(_endpoint, full.Pending, full.MaxPending);
        var scope = new RebusTransactionScope();
        PostgreSqlUnitOfWork? unitOfWork = null;
        if (_connectionString is not null)
        {
            unitOfWork = new PostgreSqlUnitOfWork(_connectionString, _endpoint, "local:" + Guid.NewGuid().ToString("N"));
            unitOfWork.AttachTo(scope.TransactionContext);
        }
        return new HubTransaction(this, scope, unitOfWork, _sends);
    }

    /// <summary>The group commit of one writer, started on first use.</summary>
    internal GroupCommit<TItem> Group<TItem>(IGroupWriter<TItem> rows)
    {
        ObjectDisposedException.ThrowIf(_stopped, this);
        if (!_groups.TryGetValue(rows, out var existing))
        {
            // Under a lock, not GetOrAdd: a group commit starts writers, so one built by a losing racer would run forever.
            lock (_groups)
            {
                if (!_groups.TryGetValue(rows, out existing))
                {
                    existing = new GroupCommit<TItem>(
                        _connectionString ?? throw new InvalidOperationException("A group commit needs Hub:Persistence=PostgreSql."),
                        _endpoint, rows, _sends, _log);
                    _groups[rows] = existing;
                }
            }
        }
        var group = (GroupCommit<TItem>)existing;
        if (_stopped)
        {
            // Created while the endpoint was stopping: stop it too, so it refuses the item instead of keeping it forever.
            _ = group.DisposeAsync().AsTask();
        }
        return group;
    }

    /// <summary>Commits what the group commits hold, then refuses new work. Called when the endpoint stops, before its bus.</summary>
    public async ValueTask DisposeAsync()
    {
        _stopped = true;
        foreach (var group in _groups.Values)
            await group.DisposeAsync();
        await _sends.Drain();
    }
}

public sealed class HubTransaction : IAsyncDisposable
{
    readonly HubTransactions _owner;
    readonly RebusTransactionScope _scope;
    readonly PostgreSqlUnitOfWork? _unitOfWork;
    readonly AfterCommitSends _sends;

    internal HubTransaction(HubTransactions owner, RebusTransactionScope scope, PostgreSqlUnitOfWork? unitOfWork, AfterCommitSends sends)
    {
        _owner = owner;
        _scope = scope;
        _unitOfWork = unitOfWork;
        _sends = sends;
    }

    /// <summary>Commits; the messages leave right after, and the caller does not wait for the broker (the outbox holds them).</summary>
    public async Task Complete()
    {
        if (_unitOfWork is not null)
            _sends.Start(_unitOfWork.OutboxMessages, await _unitOfWork.Commit());
        await _scope.CompleteAsync();
    }

    /// <summary>
    /// Commits <paramref name="item"/> (its rows written by <paramref name="rows"/>) and the messages sent in this
    /// transaction, together with other callers' items, in one PostgreSQL transaction; then sends the messages.
    /// False when <paramref name="rows"/> did not store the item: then nothing of it was written or sent.
    /// Everything must go through <paramref name="rows"/>: SQL run in this transaction before (HandlerDatabase) is refused.
    /// </summary>
    public async Task<bool> Complete<TItem>(IGroupWriter<TItem> rows, TItem item)
    {
        if (_unitOfWork is null)
            throw new InvalidOperationException("A group commit needs Hub:Persistence=PostgreSql; in memory, use Complete().");
        if (_unitOfWork.HasConnection)
            throw new InvalidOperationException(
                "This transaction already ran SQL of its own, which a group commit cannot include; write everything through the group writer.");

        var stored = await _owner.Group(rows).Submit(item, _unitOfWork.OutboxMessages);
        if (stored)
            await _scope.CompleteAsync(); // nothing left to send: the group commit sent the messages
        return stored;
    }

    public async ValueTask DisposeAsync()
    {
        _scope.Dispose();
        if (_unitOfWork is not null)
            await _unitOfWork.DisposeAsync();
    }
}

/// <summary>The endpoint holds as many unsent messages as it may: new work is refused until the broker takes them.</summary>
public sealed class OutboxFullException(string endpoint, long pending, int limit)
    : InvalidOperationException($"Endpoint {endpoint} holds {pending} messages it could not send yet (Hub:Outbox:MaxPending is {limit}); the broker may be away");
