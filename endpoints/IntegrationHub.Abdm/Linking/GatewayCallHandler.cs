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
internal sealed class GatewayCallHandler(IBus bus, IAbdmGateway gateway, OutboundCalls calls, ILogger<GatewayCallHandler> logger)
    : IHandleMessages<CallGateway>
{
    public async Task Handle(CallGateway message)
    {
        var body = JsonNode.Parse(message.Body)!.AsObject();
        var answer = await calls.Make(new OutboundCall("abdm-gateway", $"{message.Call}:{message.RequestId}"),
            ct => gateway.Send(new AbdmGatewayCall(message.Call, message.RequestId, message.Timestamp, body, message.HipId, message.LinkToken), ct),
            describe: a => a is AbdmGatewayAnswer.Refused r ? $"refused {r.Status} {r.Code}" : "accepted");
        if (answer is AbdmGatewayAnswer.Refused refused)
        {
            logger.LogError("The ABDM gateway refused {Call} {RequestId}: {Status} {Code} {Message}", message.Call, message.RequestId,
                refused.Status, refused.Code, refused.Message);
            if (message.ReplyTo is { } flow)
                await bus.SendLocal(new GatewayCallRefused(flow, message.Call, refused.Status, refused.Code, refused.Message));
        }
    }
}
