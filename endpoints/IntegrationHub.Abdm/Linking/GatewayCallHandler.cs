using System.Text.Json.Nodes;
using IntegrationHub.Adapters.Abdm.Gateway;
using IntegrationHub.Hosting.Outbound;
using Rebus.Bus;
using Rebus.Handlers;

namespace IntegrationHub.Abdm.Linking;

/// <summary>
/// Makes one call to the gateway (an external call: attempt recorded, no transaction held). The gateway being down is
/// thrown, so the message is retried and, after every retry, waits in the error queue for operators — an answer to
/// ABDM is never dropped. A refusal (4xx) is logged with ABDM's code and, when the flow asked, reported back to it.
/// </summary>
internal sealed class GatewayCallHandler(IBus bus, IAbdmGateway gateway, OutboundCalls calls, TimeProvider time, ILogger<GatewayCallHandler> logger)
    : IHandleMessages<CallGateway>
{
    public async Task Handle(CallGateway message)
    {
        var body = JsonNode.Parse(message.Body)!.AsObject();
        var answer = await calls.Make(new OutboundCall("abdm-gateway", $"{message.Call}:{message.RequestId}"),
            // Stamped when sent, not when asked for: a call retried after an outage must not look stale to the gateway.
            ct => gateway.Send(new AbdmGatewayCall(message.Call, message.RequestId, time.GetUtcNow(), body, message.HipId, message.LinkToken), ct),
            describe: a => a is AbdmGatewayAnswer.Refused r ? $"refused {r.Status} {r.Code}" : "accepted");
        if (answer is AbdmGatewayAnswer.Refused refused)
        {
            // The gateway's message may echo an ABHA address or identifier: only its status and code are logged.
            logger.LogError("The ABDM gateway refused {Call} {RequestId}: {Status} {Code}", message.Call, message.RequestId, refused.Status, refused.Code);
            if (message.ReplyTo is { } flow)
                await bus.SendLocal(new GatewayCallRefused(flow, message.Call, refused.Status, refused.Code, refused.Message));
        }
    }
}
