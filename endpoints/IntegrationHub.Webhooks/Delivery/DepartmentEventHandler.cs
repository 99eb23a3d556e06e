using IntegrationHub.Contracts;
using IntegrationHub.Hosting.Departments;
using IntegrationHub.Webhooks.Storage;
using Rebus.Bus;
using Rebus.Handlers;

namespace IntegrationHub.Webhooks.Delivery;

/// <summary>
/// Any department event: record one delivery for its department (unless the department takes no webhooks of its type)
/// and make the first attempt (unless no URL is registered: the delivery waits for one, and for a replay).
/// </summary>
public sealed class DepartmentEventHandler(IWebhookDeliveryStore store, WebhookOptions options, IBus bus, TimeProvider time,
    ILogger<DepartmentEventHandler> logger) : IHandleMessages<IDepartmentEvent>
{
    public async Task Handle(IDepartmentEvent message)
    {
        var type = WebhookCatalog.TypeOf(message);
        var department = DepartmentRegistry.Normalize(message.Department);
        var registered = options.TryGetDepartment(department, out var webhooks) ? webhooks : null;
        if (registered is not null && !registered.Wants(type))
            return;

        var id = WebhookPayload.DeliveryIdFor(message.Subject, type);
        var url = registered?.CallbackUrl;
        var now = time.GetUtcNow();
        var delivery = new WebhookDelivery(
            id, department, message.Subject, type, url,
            url is null ? WebhookStatus.NoCallbackRegistered : WebhookStatus.Pending,
            Attempts: 0, Round: 1, RoundAttempts: 0, CreatedAt: now,
            LastAttemptAt: null, LastStatusCode: null,
            LastError: url is null ? "no callback URL is registered for the department" : null,
            NextAttemptAt: url is null ? null : now, DeliveredAt: null,
            Payload: WebhookPayload.Create(id, type, department, message.Subject, message.OccurredAt, message.WebhookData()));

        if (!await store.TryAdd(delivery))
            return; // the same event again: its delivery exists already

        if (url is null)
        {
            logger.LogWarning("Webhook {DeliveryId} ({EventType}) for department {Department} not sent: no callback URL registered",
                id, type, department);
            return;
        }
        await bus.SendLocal(new AttemptWebhookDelivery(id, delivery.Round, 1));
    }
}
