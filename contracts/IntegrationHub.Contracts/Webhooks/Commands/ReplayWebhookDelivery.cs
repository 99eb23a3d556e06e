namespace IntegrationHub.Contracts.Webhooks.Commands;

/// <summary>
/// Start a new round of attempts for a dead webhook delivery (an operator's replay, e.g. <c>hubctl webhooks replay</c>).
/// A delivered one is delivered again only when <paramref name="Force"/> is set; the delivery id stays the same.
/// </summary>
public sealed record ReplayWebhookDelivery(string DeliveryId, bool Force = false);
