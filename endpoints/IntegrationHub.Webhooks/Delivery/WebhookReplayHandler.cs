using IntegrationHub.Contracts.Webhooks.Commands;
using IntegrationHub.Webhooks.Storage;
using Rebus.Bus;
using Rebus.Handlers;

namespace IntegrationHub.Webhooks.Delivery;

/// <summary>An operator's replay: a new round of attempts, with the same delivery id, to the department's current URL.</summary>
public sealed class WebhookReplayHandler(IWebhookDeliveryStore store, WebhookOptions options, IBus bus, TimeProvider time,
    ILogger<WebhookReplayHandler> logger) : IHandleMessages<ReplayWebhookDelivery>
{
    public async Task Handle(ReplayWebhookDelivery message)
    {
        var delivery = await store.Find(message.DeliveryId);
        if (delivery is null)
        {
            logger.LogWarning("Replay of webhook {DeliveryId} ignored: no such delivery", message.DeliveryId);
            return;
        }

        if (WebhookReplayRules.WhyNot(delivery, message.Force, options) is { } refusal)
        {
            logger.LogWarning("Replay of webhook {DeliveryId} ignored: {Reason}", delivery.Id, refusal);
            return;
        }

        var url = WebhookReplayRules.UrlFor(delivery, options)!;
        var round = delivery.Round + 1;
        await store.Save(delivery with { Url = url, Status = WebhookStatus.Pending, Round = round, RoundAttempts = 0, NextAttemptAt = time.GetUtcNow() });
        logger.LogInformation("Webhook {DeliveryId} for department {Department} replayed (round {Round})", delivery.Id, delivery.Department, round);
        await bus.SendLocal(new AttemptWebhookDelivery(delivery.Id, round, 1));
    }
}
