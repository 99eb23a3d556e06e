using System.Text.Json.Nodes;

namespace IntegrationHub.Contracts.Payments.Events;

/// <summary>The gateway refunded <paramref name="AmountMinor"/> of the payment (minor units of <paramref name="Currency"/>).</summary>
[WebhookType("refund.completed")]
public sealed record RefundCompleted(string RefundId, string PaymentId, string Department, long AmountMinor, string Currency, string Amount, string Reason,
    DateTimeOffset At) : IDepartmentEvent
{
    string IDepartmentEvent.Subject => PaymentId;
    DateTimeOffset IDepartmentEvent.OccurredAt => At;

    public JsonObject WebhookData() => new()
    {
        ["refundId"] = RefundId, ["paymentId"] = PaymentId, ["amount"] = Amount, ["amountMinor"] = AmountMinor, ["currency"] = Currency, ["reason"] = Reason,
    };
}

/// <summary>
/// The refund did not happen (<paramref name="Outcome"/> <c>failed</c>: the gateway refused it, <paramref name="Code"/>
/// says why), or may have (<c>unknown</c>: its first attempt may have reached a gateway without refund references, and
/// it is never sent twice; operators check with the gateway).
/// </summary>
[WebhookType("refund.failed")]
public sealed record RefundFailed(string RefundId, string PaymentId, string Department, long AmountMinor, string Currency, string Outcome, string Code,
    DateTimeOffset At) : IDepartmentEvent
{
    string IDepartmentEvent.Subject => PaymentId;
    DateTimeOffset IDepartmentEvent.OccurredAt => At;

    public JsonObject WebhookData() => new()
    {
        ["refundId"] = RefundId, ["paymentId"] = PaymentId, ["amountMinor"] = AmountMinor, ["currency"] = Currency, ["outcome"] = Outcome, ["code"] = Code,
    };
}
