using System.Collections.Concurrent;
using Rebus.Logging;
using Rebus.Transport;

namespace IntegrationHub.Hosting.Persistence;

/// <summary>
/// Sending what a transaction stored in the outbox, once it has committed. A send that fails is logged, not thrown:
/// the messages are committed, and the <see cref="OutboxForwarder"/> sends them later. A handler waits for its sends
/// (its message is acked only after them, <see cref="SendNow"/>); an API does not (<see cref="Start"/>): once the
/// commit is done the outbox guarantees the messages, so a broker that is away does not hold the caller's answer.
/// </summary>
internal sealed class AfterCommitSends(string endpoint, Func<ITransport> transport, Func<OutboxForwarder> outbox, ILog log)
{
    readonly ConcurrentDictionary<Task, bool> _running = new();

    public static async Task SendNow(ITransport transport, OutboxForwarder outbox, ILog log, string endpoint,
        IReadOnlyCollection<OutboxMessage> messages, long[] outboxIds)
    {
        if (outboxIds.Length == 0) return;
        try
        {
            using (var scope = new RebusTransactionScope())
            {
                foreach (var message in messages)
                    await transport.Send(message.Destination, message.Message, scope.TransactionContext);
                await scope.CompleteAsync();
            }
            outbox.Sent(outboxIds);
        }
        catch (Exception exception)
        {
            log.Warn(exception, "{count} message(s) of {endpoint} are stored but not yet sent; the outbox forwarder will send them",
                outboxIds.Length, endpoint);
        }
    }

    /// <summary>Starts sending and returns at once; <see cref="Drain"/> waits for what was started.</summary>
    public void Start(IReadOnlyCollection<OutboxMessage> messages, long[] outboxIds)
    {
        if (outboxIds.Length == 0) return;
        Task sending;
        // Not the caller's ambient Rebus transaction (an AsyncLocal): these sends have a scope of their own.
        using (ExecutionContext.SuppressFlow())
            sending = Task.Run(() => SendNow(transport(), outbox(), log, endpoint, messages, outboxIds));
        _running[sending] = true;
        sending.ContinueWith(done => _running.TryRemove(done, out _), TaskScheduler.Default);
    }

    public Task Drain() => Task.WhenAll(_running.Keys);
}
