namespace IntegrationHub.Webhooks.Delivery;

/// <summary>
/// Private to the endpoint (sent and deferred to itself): make attempt <paramref name="Attempt"/> of round
/// <paramref name="Round"/>. An attempt of an earlier round (a replay happened since) changes nothing.
/// </summary>
public sealed record AttemptWebhookDelivery(string DeliveryId, int Round, int Attempt);
