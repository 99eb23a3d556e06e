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
/// Without <see cref="HubTransaction.Complete"/> nothing is written and nothing is sent.
/// </summary>
public sealed class HubTransactions
{
    readonly string? _connectionString;
    readonly string _endpoint;
    readonly Func<ITransport> _transport;
    readonly Func<OutboxForwarder> _outbox;
    readonly ILog _log;

    internal HubTransactions(string? postgresConnectionString, string endpoint, Func<ITransport> transport, Func<OutboxForwarder> outbox, IRebusLoggerFactory loggerFactory)
    {
        _connectionString = postgresConnectionString;
        _endpoint = endpoint;
        _transport = transport;
        _outbox = outbox;
        _log = loggerFactory.GetLogger<HubTransactions>();
    }

    public HubTransaction Begin()
    {
        var scope = new RebusTransactionScope();
        PostgreSqlUnitOfWork? unitOfWork = null;
        if (_connectionString is not null)
        {
            unitOfWork = new PostgreSqlUnitOfWork(_connectionString, _endpoint, "local:" + Guid.NewGuid().ToString("N"));
            unitOfWork.AttachTo(scope.TransactionContext);
        }
        return new HubTransaction(scope, unitOfWork, _transport, _outbox, _log);
    }
}

public sealed class HubTransaction : IAsyncDisposable
{
    readonly RebusTransactionScope _scope;
    readonly PostgreSqlUnitOfWork? _unitOfWork;
    readonly Func<ITransport> _transport;
    readonly Func<OutboxForwarder> _outbox;
    readonly ILog _log;

    internal HubTransaction(RebusTransactionScope scope, PostgreSqlUnitOfWork? unitOfWork, Func<ITransport> transport, Func<OutboxForwarder> outbox, ILog log)
    {
        _scope = scope;
        _unitOfWork = unitOfWork;
        _transport = transport;
        _outbox = outbox;
        _log = log;
    }

    public async Task Complete()
    {
        if (_unitOfWork is not null)
            await _unitOfWork.CommitAndDispatch(_transport(), _outbox(), _log);
        await _scope.CompleteAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _scope.Dispose();
        if (_unitOfWork is not null)
            await _unitOfWork.DisposeAsync();
    }
}
