using Rebus.Bus;
using Rebus.Handlers;

namespace IntegrationHub.Sample;

/// <summary>
/// Stands in for an external system that accepts a request and answers later: it answers after a short delay
/// (a deferred message), except for the text "silent", which it never answers.
/// </summary>
public sealed class EchoProviderSimulator(IBus bus) : IHandleMessages<CallEchoProvider>
{
    public static readonly TimeSpan AnswerDelay = TimeSpan.FromMilliseconds(200);

    public async Task Handle(CallEchoProvider message)
    {
        if (message.Text == "silent") return;
        await bus.DeferLocal(AnswerDelay, new EchoProviderAnswered(message.RequestId, message.Text.ToUpperInvariant()));
    }
}
