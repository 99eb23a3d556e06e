using IntegrationHub.Contracts.Providers.Commands;
using IntegrationHub.Contracts.Requests.Events;
using IntegrationHub.Providers.Exchanges;
using IntegrationHub.Providers.Registry;
using Rebus.Bus;
using Rebus.Handlers;
using Rebus.Sagas;

namespace IntegrationHub.Providers;

/// <summary>
/// One request's conversation with its provider: ForwardRequest → answer timeout set, call the provider (CallProvider,
/// handled outside the saga) → accepted or refused → the provider's callback (completed / failed) or the timeout.
/// Every end publishes one event (RequestCompleted, RequestFailed, RequestTimedOut), is recorded as finished and
/// completes the saga. A provider that never accepts (down through all retries) makes the timeout end the request
/// as failed rather than timed out.
/// <para>
/// RecordProviderCallback also initiates the saga only so that a callback matching no running request is noticed:
/// it is kept as unmatched (or, for a request the provider already answered, ignored as a duplicate) and no saga is created.
/// </para>
/// </summary>
public sealed class ProviderExchangeSaga(IBus bus, ProviderRegistry providers, IProviderExchangeStore store, TimeProvider time,
    ILogger<ProviderExchangeSaga> logger) : Saga<ProviderExchangeData>,
    IAmInitiatedBy<ForwardRequest>,
    IAmInitiatedBy<RecordProviderCallback>,
    IHandleMessages<ProviderAccepted>,
    IHandleMessages<ProviderRefused>,
    IHandleMessages<ProviderAnswerTimedOut>
{
    protected override void CorrelateMessages(ICorrelationConfig<ProviderExchangeData> config)
    {
        config.Correlate<ForwardRequest>(m => m.RequestId, d => d.RequestId);
        config.Correlate<RecordProviderCallback>(m => m.CorrelationId, d => d.RequestId);
        config.Correlate<ProviderAccepted>(m => m.RequestId, d => d.RequestId);
        config.Correlate<ProviderRefused>(m => m.RequestId, d => d.RequestId);
        config.Correlate<ProviderAnswerTimedOut>(m => m.RequestId, d => d.RequestId);
    }

    public async Task Handle(ForwardRequest message)
    {
        if (!IsNew) return; // a redelivered start changes nothing
        if (await store.FindFinished(message.RequestId) is not null)
        {
            MarkAsComplete(); // replayed after the conversation ended: it does not start again
            return;
        }

        Data.RequestId = message.RequestId;
        Data.Tenant = message.Tenant;
        Data.Provider = message.Provider;
        if (!providers.TryGet(message.Provider, out var provider))
        {
            await Fail($"No provider named '{message.Provider}' is configured", answeredByProvider: false);
            return;
        }

        Data.Provider = provider.Name;
        await bus.DeferLocal(provider.AnswerTimeout, new ProviderAnswerTimedOut(message.RequestId));
        await bus.Publish(new RequestProgressed(message.RequestId, Data.Tenant, "forwarding to provider", provider.Name, time.GetUtcNow()));
        await bus.SendLocal(new CallProvider(message.RequestId, provider.Name, message.Service, message.Payload));
    }

    public async Task Handle(ProviderAccepted message)
    {
        if (Data.Accepted) return;
        Data.Accepted = true;
        await bus.Publish(new RequestProgressed(Data.RequestId, Data.Tenant, "provider accepted", Data.Provider, time.GetUtcNow()));
    }

    public Task Handle(ProviderRefused message) =>
        Fail($"Provider {Data.Provider} refused the request: {message.Reason}", answeredByProvider: true);

    public async Task Handle(RecordProviderCallback message)
    {
        if (IsNew)
        {
            await KeepUnmatched(message);
            MarkAsComplete();
            return;
        }

        if (!string.Equals(message.Provider, Data.Provider, StringComparison.OrdinalIgnoreCase))
        {
            await KeepUnmatched(message, "another provider serves this request");
            return;
        }

        if (message.Status == CallbackStatus.Completed)
        {
            await store.Finish(Finished(RequestOutcome.Completed, answeredByProvider: true));
            await bus.Publish(new RequestCompleted(Data.RequestId, Data.Tenant, message.Result ?? "null", time.GetUtcNow()));
            MarkAsComplete();
        }
        else
        {
            await Fail(message.Error is { Length: > 0 } error ? error : $"Provider {Data.Provider} reported a failure", answeredByProvider: true);
        }
    }

    public async Task Handle(ProviderAnswerTimedOut message)
    {
        if (!Data.Accepted)
        {
            await Fail($"Provider {Data.Provider} could not be reached or kept failing; it never accepted the request", answeredByProvider: false);
            return;
        }

        await store.Finish(Finished(RequestOutcome.TimedOut, answeredByProvider: false));
        await bus.Publish(new RequestTimedOut(Data.RequestId, Data.Tenant, time.GetUtcNow()));
        MarkAsComplete();
    }

    async Task Fail(string error, bool answeredByProvider)
    {
        await store.Finish(Finished(RequestOutcome.Failed, answeredByProvider));
        await bus.Publish(new RequestFailed(Data.RequestId, Data.Tenant, error, time.GetUtcNow()));
        MarkAsComplete();
    }

    FinishedExchange Finished(string outcome, bool answeredByProvider) =>
        new(Data.RequestId, Data.Provider, outcome, answeredByProvider, time.GetUtcNow());

    /// <summary>
    /// A callback for a request the provider already answered is a repeat: it changes nothing and is not kept. One for
    /// a request that ended without the provider's answer (timed out, unreachable) is a late answer, and one for no
    /// known request is unknown: both are kept for operators.
    /// </summary>
    async Task KeepUnmatched(RecordProviderCallback message, string? reason = null)
    {
        if (reason is null)
        {
            var finished = await store.FindFinished(message.CorrelationId);
            if (finished is { AnsweredByProvider: true } && string.Equals(finished.Provider, message.Provider, StringComparison.OrdinalIgnoreCase))
            {
                logger.LogInformation("Callback {CallbackId} from {Provider} for request {CorrelationId} repeats an answer already handled; ignored",
                    message.CallbackId, message.Provider, message.CorrelationId);
                return;
            }
            reason = finished is null ? "no such request" : $"late: the request already ended ({finished.Outcome})";
        }

        var kept = await store.KeepUnmatched(new UnmatchedCallback(message.CallbackId, message.Provider, message.CorrelationId,
            message.Status, reason, message.Result, message.Error, message.ReceivedAt));
        if (kept)
            logger.LogWarning("Callback {CallbackId} from {Provider} with status {Status} matches no running request {CorrelationId} ({Reason}); kept as unmatched",
                message.CallbackId, message.Provider, message.Status, message.CorrelationId, reason);
    }
}

public sealed class ProviderExchangeData : SagaData
{
    public string RequestId { get; set; } = "";
    public string Tenant { get; set; } = "";
    public string Provider { get; set; } = "";
    public bool Accepted { get; set; }
}

public static class RequestOutcome
{
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string TimedOut = "timed-out";
}

public static class CallbackStatus
{
    public const string Completed = "completed";
    public const string Failed = "failed";
}

// Messages the Providers endpoint sends itself; no other endpoint sees them.
public sealed record CallProvider(string RequestId, string Provider, string Service, string Payload);
public sealed record ProviderAccepted(string RequestId, int StatusCode);
public sealed record ProviderRefused(string RequestId, string Reason);
public sealed record ProviderAnswerTimedOut(string RequestId);
