using System.Diagnostics;
using IntegrationHub.Hosting.Observability;
using Rebus.Extensions;
using Rebus.Logging;
using Rebus.Messages;
using Rebus.Pipeline;
using Rebus.Transport;

namespace IntegrationHub.Hosting.Persistence;

/// <summary>
/// Wraps the handling of each message in a <see cref="PostgreSqlUnitOfWork"/>: skips messages the endpoint already
/// handled, commits saga changes and outgoing messages together (at the end of the pipeline, inside the retries),
/// then — when Rebus completes the message, before its ack — sends the messages and removes them from the outbox. If sending fails after the commit, the <see cref="OutboxForwarder"/> sends them later.
/// A message whose handler calls an external system (<see cref="ExternalCallMessages"/>) opens no connection until
/// the handler's first database work, after the call: its inbox claim is made then, or at the end.
/// </summary>
[StepDocumentation("Inbox check, one PostgreSQL transaction for saga changes and outgoing messages, send after commit.")]
internal sealed class UnitOfWorkStep(string connectionString, string endpoint, ITransport transport, OutboxForwarder outbox,
    ExternalCallMessages externalCalls, IRebusLoggerFactory loggerFactory) : IIncomingStep
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
        var claimsLate = externalCalls.Contains(headers.GetValueOrDefault(Headers.Type));
        var unitOfWork = new PostgreSqlUnitOfWork(connectionString, endpoint, messageId,
            claimsLate ? InboxClaim.AtFirstDatabaseWork : InboxClaim.BeforeHandlers);
        unitOfWork.AttachTo(transactionContext);
        transactionContext.OnDisposed(_ => unitOfWork.DisposeAsync().AsTask().GetAwaiter().GetResult());

        long[] outboxIds;
        try
        {
            // The inbox claim is made by the first statement (InboxClaimStep, or the saga lookup with it).
            await next();
            // Committed here (with the claim, if the handler did no database work of its own), inside the retries: a concurrent saga change found by the commit is retried like any failure.
            outboxIds = await unitOfWork.Commit();
        }
        catch (Exception exception) when (AlreadyHandled(exception))
        {
            _log.Info("Message {messageId} was already handled by {endpoint}; the redelivery changes nothing", messageId, endpoint);
            return;
        }

        // After the commit, before the ack: what was committed is sent (or left to the outbox forwarder) first.
        var committed = 0L;
        transactionContext.OnCommit(async _ =>
        {
            var sending = Stopwatch.GetTimestamp();
            await AfterCommitSends.SendNow(transport, outbox, _log, endpoint, unitOfWork.OutboxMessages, outboxIds);
            StepStages.Record(StepStages.Send, endpoint, sending);
            committed = Stopwatch.GetTimestamp();
        });
        transactionContext.OnAck(_ =>
        {
            if (committed != 0) StepStages.Record(StepStages.Ack, endpoint, committed);
            return Task.CompletedTask;
        });
    }

    static bool AlreadyHandled(Exception exception)
    {
        for (Exception? current = exception; current is not null; current = current.InnerException)
            if (current is MessageAlreadyHandledException) return true;
        return exception is AggregateException aggregate && aggregate.InnerExceptions.Any(AlreadyHandled);
    }
}

/// <summary>
/// The message types whose handlers call external systems, matched exactly by the message's type header (a message of
/// a derived type is not one of them: register its handler for the type that is sent).
/// </summary>
internal sealed class ExternalCallMessages(IEnumerable<Type> types)
{
    readonly HashSet<string> _typeNames = types.Select(t => t.GetSimpleAssemblyQualifiedName()).ToHashSet(StringComparer.Ordinal);

    public bool Contains(string? typeHeader) => typeHeader is not null && _typeNames.Contains(typeHeader);
}

/// <summary>Claims the message in the inbox just before its handlers run, unless the saga lookup already did.</summary>
[StepDocumentation("Records the message in the endpoint's inbox before its handlers run (a redelivery stops here).")]
internal sealed class InboxClaimStep : IIncomingStep
{
    public async Task Process(IncomingStepContext context, Func<Task> next)
    {
        if (PostgreSqlUnitOfWork.In(context.Load<ITransactionContext>()) is { } unitOfWork)
            await unitOfWork.ClaimBeforeHandlers();
        await next();
    }
}
