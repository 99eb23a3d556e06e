using Rebus.Logging;
using Rebus.Messages;
using Rebus.Pipeline;
using Rebus.Transport;

namespace IntegrationHub.Hosting.Persistence;

/// <summary>
/// Wraps the handling of each message in a <see cref="PostgreSqlUnitOfWork"/>: skips messages the endpoint already
/// handled, commits saga changes and outgoing messages together, then sends the messages at once and removes them
/// from the outbox. If sending fails after the commit, the <see cref="OutboxForwarder"/> sends them later.
/// </summary>
[StepDocumentation("Inbox check, one PostgreSQL transaction for saga changes and outgoing messages, send after commit.")]
internal sealed class UnitOfWorkStep(string connectionString, string endpoint, ITransport transport, OutboxForwarder outbox, IRebusLoggerFactory loggerFactory) : IIncomingStep
{
    readonly ILog _log = loggerFactory.GetLogger<UnitOfWorkStep>();

    public async Task Process(IncomingStepContext context, Func<Task> next)
    {
        var headers = context.Load<TransportMessage>().Headers;
        if (headers.ContainsKey(Headers.DeferredUntil))
        {
            // Only parked with the timeout manager now; it is handled (and claimed in the inbox) when it is due.
            await next();
            return;
        }

        var transactionContext = context.Load<ITransactionContext>();
        var messageId = headers.GetValueOrDefault(Headers.MessageId) ?? "";
        var unitOfWork = new PostgreSqlUnitOfWork(connectionString, endpoint, messageId);
        unitOfWork.AttachTo(transactionContext);
        transactionContext.OnDisposed(_ => unitOfWork.DisposeAsync().AsTask().GetAwaiter().GetResult());

        if (!await unitOfWork.ClaimInbox())
        {
            _log.Info("Message {messageId} was already handled by {endpoint}; the redelivery changes nothing", messageId, endpoint);
            return;
        }

        await next();

        transactionContext.OnCommit(_ => unitOfWork.CommitAndDispatch(transport, outbox, _log));
    }
}
