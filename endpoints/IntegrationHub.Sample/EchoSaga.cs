using IntegrationHub.Contracts.Sample.Commands;
using IntegrationHub.Contracts.Sample.Events;
using IntegrationHub.Contracts.Sample.Replies;
using Rebus.Bus;
using Rebus.Handlers;
using Rebus.Messages;
using Rebus.Pipeline;
using Rebus.Sagas;

namespace IntegrationHub.Sample;

/// <summary>
/// StartEcho → ask the provider, and set the timeout → the provider answers (completed) or the timeout fires
/// (timed-out) → reply to whoever asked, publish EchoFinished, done.
/// </summary>
public sealed class EchoSaga(IBus bus, IMessageContext context) : Saga<EchoSagaData>,
    IAmInitiatedBy<StartEcho>,
    IHandleMessages<EchoProviderAnswered>,
    IHandleMessages<EchoTimedOut>
{
    protected override void CorrelateMessages(ICorrelationConfig<EchoSagaData> config)
    {
        config.Correlate<StartEcho>(m => m.RequestId, d => d.RequestId);
        config.Correlate<EchoProviderAnswered>(m => m.RequestId, d => d.RequestId);
        config.Correlate<EchoTimedOut>(m => m.RequestId, d => d.RequestId);
    }

    public async Task Handle(StartEcho message)
    {
        if (!IsNew) return; // a redelivered start changes nothing

        Data.RequestId = message.RequestId;
        Data.ReplyTo = context.Headers.GetValueOrDefault(Headers.ReturnAddress);
        await bus.DeferLocal(message.Timeout, new EchoTimedOut(message.RequestId));
        await bus.SendLocal(new CallEchoProvider(message.RequestId, message.Text));
    }

    public Task Handle(EchoProviderAnswered message) => Finish("completed", message.Echo);

    public Task Handle(EchoTimedOut message) => Finish("timed-out", echo: null);

    async Task Finish(string status, string? echo)
    {
        if (Data.ReplyTo is { } replyTo)
            await bus.Advanced.Routing.Send(replyTo, new EchoResult(Data.RequestId, status, echo));
        await bus.Publish(new EchoFinished(Data.RequestId, status));
        MarkAsComplete();
    }
}

public sealed class EchoSagaData : SagaData
{
    public string RequestId { get; set; } = "";
    public string? ReplyTo { get; set; }
}

/// <summary>Messages the Sample endpoint sends itself; no other endpoint sees them.</summary>
public sealed record CallEchoProvider(string RequestId, string Text);
public sealed record EchoProviderAnswered(string RequestId, string Echo);
public sealed record EchoTimedOut(string RequestId);
