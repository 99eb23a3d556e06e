using Rebus.Messages;
using Rebus.Transport;

namespace IntegrationHub.Hosting.Persistence;

/// <summary>
/// Inside a handler (a PostgreSQL unit of work is attached), sends are held for the outbox instead of going to
/// the broker; anywhere else (error handling, due timeouts, a client outside a handler) they go straight through.
/// </summary>
internal sealed class OutboxTransport(ITransport inner) : ITransport
{
    public void CreateQueue(string address) => inner.CreateQueue(address);

    public Task Send(string destinationAddress, TransportMessage message, ITransactionContext context)
    {
        if (PostgreSqlUnitOfWork.In(context) is not { } unitOfWork)
            return inner.Send(destinationAddress, message, context);

        unitOfWork.Enqueue(destinationAddress, message);
        return Task.CompletedTask;
    }

    public Task<TransportMessage> Receive(ITransactionContext context, CancellationToken cancellationToken) =>
        inner.Receive(context, cancellationToken);

    public string Address => inner.Address;
}
