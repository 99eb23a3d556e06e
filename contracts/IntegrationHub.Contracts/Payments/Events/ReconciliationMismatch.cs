using System.Text.Json.Nodes;

namespace IntegrationHub.Contracts.Payments.Events;

/// <summary>
/// Reconciliation found the hub and the gateway disagreeing about one payment: <paramref name="Kind"/> is
/// <c>missing_at_gateway</c>, <c>missing_at_hub</c>, <c>amount_mismatch</c> or <c>status_mismatch</c>. Amounts are
/// minor units; no payer data.
/// </summary>
[WebhookType("payment.reconciliation_mismatch")]
public sealed record ReconciliationMismatch(string RunId, string Department, string Gateway, string Account, DateOnly Day, string Kind, string Reference,
    string? PaymentId, string? HubState, string? GatewayState, long? HubAmountMinor, long? GatewayAmountMinor, string Currency, DateTimeOffset At) : IDepartmentEvent
{
    string IDepartmentEvent.Subject => PaymentId ?? Reference;
    DateTimeOffset IDepartmentEvent.OccurredAt => At;

    public JsonObject WebhookData() => new()
    {
        ["runId"] = RunId, ["gateway"] = Gateway, ["account"] = Account, ["day"] = Day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
        ["kind"] = Kind, ["reference"] = Reference, ["paymentId"] = PaymentId, ["hubState"] = HubState, ["gatewayState"] = GatewayState,
        ["hubAmountMinor"] = HubAmountMinor, ["gatewayAmountMinor"] = GatewayAmountMinor, ["currency"] = Currency,
    };
}
