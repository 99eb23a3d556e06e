namespace IntegrationHub.Webhooks.Storage;

/// <summary>Deliveries as the endpoint's handlers change them (in the handled message's transaction in PostgreSQL mode).</summary>
public interface IWebhookDeliveryStore
{
    /// <summary>Adds the delivery unless one with its id exists; false when it did.</summary>
    Task<bool> TryAdd(WebhookDelivery delivery);

    /// <summary>The delivery, held for update until the handled message's transaction ends.</summary>
    Task<WebhookDelivery?> Find(string id);

    Task Save(WebhookDelivery delivery, WebhookAttempt? attempt = null);
}

/// <summary>Deliveries as operators see them (hubctl, an ops API).</summary>
public interface IWebhookDeliveryReader
{
    /// <summary>Newest first.</summary>
    Task<IReadOnlyList<WebhookDelivery>> List(string? status = null, string? department = null, int limit = 100, CancellationToken cancellationToken = default);

    Task<WebhookDelivery?> Get(string id, CancellationToken cancellationToken = default);

    /// <summary>In the order they were made.</summary>
    Task<IReadOnlyList<WebhookAttempt>> Attempts(string id, CancellationToken cancellationToken = default);
}
