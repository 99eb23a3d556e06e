using IntegrationHub.Hosting.Outbound;
using IntegrationHub.Webhooks.Storage;
using Rebus.Bus;
using Rebus.Handlers;

namespace IntegrationHub.Webhooks.Delivery;

/// <summary>
/// One attempt: delivered on 2xx; otherwise the next attempt is deferred by the retry schedule, and after the last
/// one (or at once when the URL policy refuses) the delivery is dead, waiting for a replay. The POST goes through
/// <see cref="OutboundCalls"/>: the delivery is read without a lock, the attempt recorded, the POST made with no
/// database connection open, and only then is the delivery locked and its outcome saved — unless a replay or another
/// attempt moved it on meanwhile, in which case the attempt is kept in its history and changes nothing else.
/// </summary>
public sealed class WebhookAttemptHandler(IWebhookDeliveryStore store, IWebhookDeliveryReader deliveries, WebhookSender sender,
    WebhookOptions options, OutboundCalls outbound, IBus bus, TimeProvider time, ILogger<WebhookAttemptHandler> logger)
    : IHandleMessages<AttemptWebhookDelivery>
{
    public async Task Handle(AttemptWebhookDelivery message)
    {
        var delivery = await deliveries.Get(message.DeliveryId);
        if (delivery is null)
        {
            logger.LogWarning("Webhook {DeliveryId}: attempt for an unknown delivery ignored", message.DeliveryId);
            return;
        }
        if (!IsDue(delivery, message))
            return;

        var startedAt = time.GetUtcNow();
        var secret = options.TryGetDepartment(delivery.Department, out var department) ? department.Secret : null;
        var outcome = string.IsNullOrEmpty(secret)
            ? AttemptOutcome.Refused("no webhook secret is registered for the department (Hub:Webhooks:Departments:<id>:Secret)")
            : await outbound.Make(new OutboundCall("webhook", $"{delivery.Id}:{message.Round}:{message.Attempt}"),
                cancellationToken => sender.Send(delivery, secret, cancellationToken), describe: o => o.Summary);

        // Locked from here to the commit: an attempt and a replay of the same delivery never save over each other.
        var current = await store.Find(delivery.Id);
        if (current is null)
            return;
        var attempt = new WebhookAttempt(delivery.Id, current.Attempts + 1, message.Round, startedAt, outcome.StatusCode, outcome.Error, outcome.Duration);
        if (!IsDue(current, message))
        {
            await store.Save(current with { Attempts = attempt.Attempt }, attempt);
            logger.LogInformation("Webhook {DeliveryId}: attempt {Attempt} of round {Round} ended after the delivery moved on; kept in its history only",
                delivery.Id, attempt.Attempt, message.Round);
            return;
        }

        var schedule = options.EffectiveRetrySchedule;
        var retry = !outcome.Delivered && !outcome.Final && message.Attempt <= schedule.Count;
        var delay = retry ? schedule[message.Attempt - 1] : TimeSpan.Zero;
        await store.Save(current with
        {
            Status = outcome.Delivered ? WebhookStatus.Delivered : retry ? WebhookStatus.Pending : WebhookStatus.Dead,
            Attempts = attempt.Attempt,
            RoundAttempts = message.Attempt,
            LastAttemptAt = startedAt,
            LastStatusCode = outcome.StatusCode,
            LastError = outcome.Error,
            NextAttemptAt = retry ? startedAt + delay : null,
            DeliveredAt = outcome.Delivered ? startedAt : current.DeliveredAt,
        }, attempt);

        if (outcome.Delivered)
        {
            logger.LogInformation("Webhook {DeliveryId} for department {Department} delivered on attempt {Attempt} (status {StatusCode})",
                delivery.Id, delivery.Department, attempt.Attempt, outcome.StatusCode);
        }
        else if (retry)
        {
            logger.LogWarning("Webhook {DeliveryId} for department {Department}: attempt {Attempt} failed (status {StatusCode}: {Error}); next in {Delay}",
                delivery.Id, delivery.Department, attempt.Attempt, outcome.StatusCode, outcome.Error, delay);
            await bus.DeferLocal(delay, new AttemptWebhookDelivery(delivery.Id, message.Round, message.Attempt + 1));
        }
        else
        {
            logger.LogError("Webhook {DeliveryId} for department {Department} is dead after attempt {Attempt} (status {StatusCode}: {Error}); replay it with hubctl webhooks replay",
                delivery.Id, delivery.Department, attempt.Attempt, outcome.StatusCode, outcome.Error);
        }
    }

    // A replay started a new round, the delivery ended, or this attempt was made already (a redelivered message).
    static bool IsDue(WebhookDelivery delivery, AttemptWebhookDelivery message) =>
        delivery.Status == WebhookStatus.Pending && delivery.Round == message.Round && delivery.RoundAttempts < message.Attempt;
}
