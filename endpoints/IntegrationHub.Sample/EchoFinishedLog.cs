using IntegrationHub.Contracts.Sample.Events;
using Rebus.Handlers;

namespace IntegrationHub.Sample;

/// <summary>
/// Subscribes to the sample's own event, so that in RabbitMQ mode the management UI shows a binding from the
/// <c>hub.events</c> exchange to <c>hub.sample</c> — how every real subscriber appears to operators.
/// </summary>
public sealed class EchoFinishedLog(ILogger<EchoFinishedLog> logger) : IHandleMessages<EchoFinished>
{
    public Task Handle(EchoFinished message)
    {
        logger.LogInformation("Sample conversation {RequestId} finished: {Status}", message.RequestId, message.Status);
        return Task.CompletedTask;
    }
}
