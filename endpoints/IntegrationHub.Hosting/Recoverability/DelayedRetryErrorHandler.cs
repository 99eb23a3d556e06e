using System.Globalization;
using IntegrationHub.Hosting.Bus;
using IntegrationHub.Hosting.Observability;
using Rebus.Exceptions;
using Rebus.Extensions;
using Rebus.Logging;
using Rebus.Messages;
using Rebus.Retry;
using Rebus.Time;
using Rebus.Transport;

namespace IntegrationHub.Hosting.Recoverability;

/// <summary>
/// Called by Rebus when a message has used up its immediate attempts. It schedules the next delayed retry
/// (a deferred copy of the message, stored by the timeout manager until due) or, when none is left or the
/// failure can never succeed (e.g. the message cannot be deserialized), moves the message to the error queue
/// with headers that say why: exception type and message, attempts, source queue and time.
/// </summary>
internal sealed class DelayedRetryErrorHandler(
    IErrorHandler deadLetter,
    IErrorTracker errorTracker,
    ITransport transport,
    IReadOnlyList<TimeSpan> delays,
    int immediateAttempts,
    IRebusTime time,
    HubMetrics metrics,
    IRebusLoggerFactory loggerFactory) : IErrorHandler
{
    const int MaxHeaderLength = 1000;
    readonly ILog _log = loggerFactory.GetLogger<DelayedRetryErrorHandler>();

    public async Task HandlePoisonMessage(TransportMessage transportMessage, ITransactionContext transactionContext, ExceptionInfo exception)
    {
        var headers = transportMessage.Headers;
        var messageId = headers.GetValueOrDefault(Headers.MessageId) ?? "<unknown>";
        var delayedRetriesDone = int.TryParse(headers.GetValueOrDefault(HubHeaders.DelayedRetries), out var n) ? n : 0;

        var failures = headers.ContainsKey(Headers.MessageId) ? await errorTracker.GetExceptions(messageId) : [];
        var last = failures.LastOrDefault() ?? exception;

        if (!IsFinal(last) && delayedRetriesDone < delays.Count)
        {
            try
            {
                await ScheduleDelayedRetry(transportMessage, messageId, delayedRetriesDone, last);
                return;
            }
            catch (Exception scheduling)
            {
                // The retry copy was refused or never confirmed: to the error queue with the reason, rather than back to
                // the input queue, where it would come straight back here, again and again.
                _log.Error(scheduling, "Message {messageId}: its delayed retry could not be scheduled; it goes to the error queue", messageId);
                last = new ExceptionInfo(scheduling.GetType().GetSimpleAssemblyQualifiedName(),
                    $"The delayed retry could not be scheduled ({scheduling.Message}) after: {last.Message}", last.Details, time.Now);
            }
        }

        var copy = new TransportMessage(transportMessage.Headers.Clone(), transportMessage.Body);
        copy.Headers[HubHeaders.ErrorType] = last.Type;
        copy.Headers[HubHeaders.ErrorMessage] = Truncate(last.Message);
        copy.Headers[HubHeaders.ErrorAttempts] = (delayedRetriesDone * immediateAttempts + Math.Max(failures.Count, 1)).ToString(CultureInfo.InvariantCulture);
        copy.Headers[HubHeaders.ErrorFailedAt] = time.Now.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

        metrics.DeadLettered(headers.GetValueOrDefault(Headers.Type));
        await deadLetter.HandlePoisonMessage(copy, transactionContext, exception);
    }

    async Task ScheduleDelayedRetry(TransportMessage transportMessage, string messageId, int delayedRetriesDone, ExceptionInfo last)
    {
        var delay = delays[delayedRetriesDone];
        var copy = new TransportMessage(transportMessage.Headers.Clone(), transportMessage.Body);
        copy.Headers[Headers.DeferredUntil] = (time.Now + delay).ToString("O", CultureInfo.InvariantCulture);
        copy.Headers[Headers.DeferredRecipient] = transport.Address;
        copy.Headers[HubHeaders.DelayedRetries] = (delayedRetriesDone + 1).ToString(CultureInfo.InvariantCulture);
        copy.Headers.Remove(Headers.DeliveryCount);

        _log.Warn("Message {messageId} failed {attempts} times ({errorType}: {errorMessage}); delayed retry {retry} of {retries} in {delay}",
            messageId, immediateAttempts, last.Type, last.Message, delayedRetriesDone + 1, delays.Count, delay);

        // Sent in a scope of its own: the handler's transaction is rolled back, the retry must still leave.
        using var scope = new RebusTransactionScope();
        await transport.Send(transport.Address, copy, scope.TransactionContext);
        await scope.CompleteAsync();
        metrics.DelayedRetry(transportMessage.Headers.GetValueOrDefault(Headers.Type));
    }

    static bool IsFinal(ExceptionInfo info)
    {
        var type = Type.GetType(info.Type, throwOnError: false);
        return type is not null && typeof(IFailFastException).IsAssignableFrom(type);
    }

    static string Truncate(string value) =>
        value.Length <= MaxHeaderLength ? value : value[..MaxHeaderLength] + "…";
}
