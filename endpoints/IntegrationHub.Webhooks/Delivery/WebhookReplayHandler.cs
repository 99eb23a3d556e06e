using IntegrationHub.Contracts.Webhooks.Commands;
using IntegrationHub.Hosting.Departments;
using IntegrationHub.Webhooks.Storage;
using Rebus.Bus;
using Rebus.Handlers;

namespace IntegrationHub.Webhooks.Delivery;

/// <summary>An operator's replay: a new round of attempts, with the same delivery id, to the department's current URL.</summary>
public sealed class WebhookReplayHandler(IWebhookDeliveryStore store, DepartmentRegistry departments, IBus bus, TimeProvider time,
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

        var replayable = delivery.Status is WebhookStatus.Dead or WebhookStatus.NoCallbackRegistered
                         || (delivery.Status == WebhookStatus.Delivered && message.Force);
        if (!replayable)
        {
            logger.LogWarning("Replay of webhook {DeliveryId} ignored: it is {Status}{Hint}", delivery.Id, delivery.Status,
                delivery.Status == WebhookStatus.Delivered ? " (force to deliver it again)" : "");
            return;
        }

        var url = departments.TryGet(delivery.Department, out var department) && department.CallbackUrl is { } current ? current : delivery.Url;
        if (url is null)
        {
            logger.LogWarning("Replay of webhook {DeliveryId} ignored: department {Department} still has no callback URL", delivery.Id, delivery.Department);
            return;
        }

        var round = delivery.Round + 1;
        await store.Save(delivery with { Url = url, Status = WebhookStatus.Pending, Round = round, RoundAttempts = 0, NextAttemptAt = time.GetUtcNow() });
        logger.LogInformation("Webhook {DeliveryId} for department {Department} replayed (round {Round})", delivery.Id, delivery.Department, round);
        await bus.SendLocal(new AttemptWebhookDelivery(delivery.Id, round, 1));
    }
}
