using IntegrationHub.Hosting.Departments;
using IntegrationHub.Webhooks.Storage;
using Rebus.Bus;
using Rebus.Handlers;

namespace IntegrationHub.Webhooks.Delivery;

/// <summary>
/// One attempt: delivered on 2xx; otherwise the next attempt is deferred by the retry schedule, and after the last
/// one (or at once when the URL policy refuses) the delivery is dead, waiting for a replay.
/// </summary>
public sealed class WebhookAttemptHandler(IWebhookDeliveryStore store, WebhookSender sender, DepartmentRegistry departments,
    WebhookOptions options, IBus bus, TimeProvider time, ILogger<WebhookAttemptHandler> logger) : IHandleMessages<AttemptWebhookDelivery>
{
    public async Task Handle(AttemptWebhookDelivery message)
    {
        var delivery = await store.Find(message.DeliveryId);
        if (delivery is null)
        {
            logger.LogWarning("Webhook {DeliveryId}: attempt for an unknown delivery ignored", message.DeliveryId);
            return;
        }
        // A replay started a new round, the delivery ended, or this attempt was made already (redelivered message).
        if (delivery.Status != WebhookStatus.Pending || delivery.Round != message.Round || delivery.RoundAttempts >= message.Attempt)
            return;

        var startedAt = time.GetUtcNow();
        var secret = departments.TryGet(delivery.Department, out var department) ? department.WebhookSecret : null;
        var outcome = string.IsNullOrEmpty(secret)
            ? AttemptOutcome.Refused("no webhook secret is registered for the department (Hub:Departments:<id>:WebhookSecret)")
            : await sender.Send(delivery, secret);

        var number = delivery.Attempts + 1;
        var schedule = options.EffectiveRetrySchedule;
        var retry = !outcome.Delivered && !outcome.Final && message.Attempt <= schedule.Count;
        var delay = retry ? schedule[message.Attempt - 1] : TimeSpan.Zero;
        var updated = delivery with
        {
            Status = outcome.Delivered ? WebhookStatus.Delivered : retry ? WebhookStatus.Pending : WebhookStatus.Dead,
            Attempts = number,
            RoundAttempts = message.Attempt,
            LastAttemptAt = startedAt,
            LastStatusCode = outcome.StatusCode,
            LastError = outcome.Error,
            NextAttemptAt = retry ? startedAt + delay : null,
            DeliveredAt = outcome.Delivered ? startedAt : delivery.DeliveredAt,
        };
        await store.Save(updated, new WebhookAttempt(delivery.Id, number, delivery.Round, startedAt, outcome.StatusCode, outcome.Error, outcome.Duration));

        if (outcome.Delivered)
        {
            logger.LogInformation("Webhook {DeliveryId} for department {Department} delivered on attempt {Attempt} (status {StatusCode})",
                delivery.Id, delivery.Department, number, outcome.StatusCode);
        }
        else if (retry)
        {
            logger.LogWarning("Webhook {DeliveryId} for department {Department}: attempt {Attempt} failed (status {StatusCode}: {Error}); next in {Delay}",
                delivery.Id, delivery.Department, number, outcome.StatusCode, outcome.Error, delay);
            await bus.DeferLocal(delay, new AttemptWebhookDelivery(delivery.Id, delivery.Round, message.Attempt + 1));
        }
        else
        {
            logger.LogError("Webhook {DeliveryId} for department {Department} is dead after attempt {Attempt} (status {StatusCode}: {Error}); replay it with hubctl webhooks replay",
                delivery.Id, delivery.Department, number, outcome.StatusCode, outcome.Error);
        }
    }
}
