using IntegrationHub.Contracts.Requests.Events;
using IntegrationHub.Hosting.Departments;
using IntegrationHub.Webhooks.Storage;
using Rebus.Bus;
using Rebus.Handlers;

namespace IntegrationHub.Webhooks.Delivery;

/// <summary>A request ended: record one delivery for its department, and make the first attempt (unless no URL is registered).</summary>
public sealed class RequestEndedHandler(IWebhookDeliveryStore store, DepartmentRegistry departments, IBus bus, TimeProvider time,
    ILogger<RequestEndedHandler> logger) : IHandleMessages<RequestCompleted>, IHandleMessages<RequestFailed>, IHandleMessages<RequestTimedOut>
{
    public Task Handle(RequestCompleted message) =>
        Record(WebhookPayload.Completed, message.RequestId, message.Tenant, message.Result, null, message.At);

    public Task Handle(RequestFailed message) =>
        Record(WebhookPayload.Failed, message.RequestId, message.Tenant, null, message.Error, message.At);

    public Task Handle(RequestTimedOut message) =>
        Record(WebhookPayload.TimedOut, message.RequestId, message.Tenant, null, null, message.At);

    async Task Record(string eventType, string requestId, string department, string? result, string? error, DateTimeOffset occurredAt)
    {
        var id = WebhookPayload.DeliveryIdFor(requestId, eventType);
        var url = departments.TryGet(department, out var registered) ? registered.CallbackUrl : null;
        var delivery = new WebhookDelivery(
            id, department, requestId, eventType, url,
            url is null ? WebhookStatus.NoCallbackRegistered : WebhookStatus.Pending,
            Attempts: 0, Round: 1, RoundAttempts: 0, CreatedAt: time.GetUtcNow(),
            LastAttemptAt: null, LastStatusCode: null,
            LastError: url is null ? "no callback URL is registered for the department" : null,
            NextAttemptAt: url is null ? null : time.GetUtcNow(), DeliveredAt: null,
            Payload: WebhookPayload.Create(id, eventType, requestId, department, result, error, occurredAt));

        if (!await store.TryAdd(delivery))
            return; // the same event again: its delivery exists already

        if (url is null)
        {
            logger.LogWarning("Webhook {DeliveryId} ({EventType}) for department {Department} not sent: no callback URL registered",
                id, eventType, department);
            return;
        }
        await bus.SendLocal(new AttemptWebhookDelivery(id, delivery.Round, 1));
    }
}
