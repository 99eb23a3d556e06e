using Rebus.Messages;
using Rebus.Pipeline;

namespace IntegrationHub.Hosting.Bus;

/// <summary>
/// Stamps every outgoing message with the sending endpoint, the message that caused it and the tenant it
/// belongs to (flowed from the message being handled unless the sender set one).
/// </summary>
[StepDocumentation("Adds hub-sending-endpoint, hub-causation-id and hub-tenant headers.")]
internal sealed class HubHeadersStep(string endpointName) : IOutgoingStep
{
    public Task Process(OutgoingStepContext context, Func<Task> next)
    {
        var headers = context.Load<Message>().Headers;
        headers[HubHeaders.SendingEndpoint] = endpointName;

        if (MessageContext.Current?.Headers is { } incoming)
        {
            if (incoming.TryGetValue(Headers.MessageId, out var causationId))
                headers.TryAdd(HubHeaders.CausationId, causationId);
            if (incoming.TryGetValue(HubHeaders.Tenant, out var tenant))
                headers.TryAdd(HubHeaders.Tenant, tenant);
        }

        return next();
    }
}
