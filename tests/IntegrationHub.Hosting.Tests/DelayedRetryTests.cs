using IntegrationHub.Hosting.Bus;
using IntegrationHub.Hosting.Observability;
using IntegrationHub.Hosting.Recoverability;
using Rebus.Logging;
using Rebus.Messages;
using Rebus.Retry;
using Rebus.Time;
using Rebus.Transport;

namespace IntegrationHub.Hosting.Tests;

/// <summary>When the delayed retry of a failed message cannot be scheduled, the message goes to the error queue, with why.</summary>
public sealed class DelayedRetryTests
{
    [Fact]
    public async Task Retry_copy_the_broker_refuses_sends_the_message_to_the_error_queue_with_both_reasons()
    {
        var deadLetter = new RecordingErrorHandler();
        var handler = new DelayedRetryErrorHandler(deadLetter, new OneFailure(), new RefusingTransport(), [TimeSpan.FromSeconds(10)],
            immediateAttempts: 5, new DefaultRebusTime(), new HubMetrics("test"), new NullLoggerFactory());
        var message = new TransportMessage(new Dictionary<string, string> { [Headers.MessageId] = "m-1", [Headers.Type] = "T, A" }, [1]);

        using var scope = new RebusTransactionScope();
        await handler.HandlePoisonMessage(message, scope.TransactionContext, new ExceptionInfo("System.Exception", "the handler failed", "", DateTimeOffset.UtcNow));

        var moved = Assert.Single(deadLetter.Moved);
        Assert.Contains("The delayed retry could not be scheduled (the broker refused the retry copy) after: the handler failed", moved.Headers[HubHeaders.ErrorMessage]);
    }

    sealed class RecordingErrorHandler : IErrorHandler
    {
        public List<TransportMessage> Moved { get; } = [];

        public Task HandlePoisonMessage(TransportMessage transportMessage, ITransactionContext transactionContext, ExceptionInfo exception)
        {
            Moved.Add(transportMessage);
            return Task.CompletedTask;
        }
    }

    sealed class OneFailure : IErrorTracker
    {
        readonly ExceptionInfo _failure = new("System.Exception", "the handler failed", "", DateTimeOffset.UtcNow);
        public Task RegisterError(string messageId, Exception exception) => Task.CompletedTask;
        public Task CleanUp(string messageId) => Task.CompletedTask;
        public Task<bool> HasFailedTooManyTimes(string messageId) => Task.FromResult(true);
        public Task<string> GetFullErrorDescription(string messageId) => Task.FromResult(_failure.Message);
        public Task<IReadOnlyList<ExceptionInfo>> GetExceptions(string messageId) => Task.FromResult<IReadOnlyList<ExceptionInfo>>([_failure]);
        public Task MarkAsFinal(string messageId) => Task.CompletedTask;
    }

    sealed class RefusingTransport : ITransport
    {
        public void CreateQueue(string address) { }
        public Task Send(string destinationAddress, TransportMessage message, ITransactionContext context) =>
            throw new InvalidOperationException("the broker refused the retry copy");
        public Task<TransportMessage> Receive(ITransactionContext context, CancellationToken cancellationToken) => throw new NotSupportedException();
        public string Address => "hub.test";
    }
}
