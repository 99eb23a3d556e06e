using System.Text.Json.Nodes;

namespace IntegrationHub.Contracts.Payments.Events;

/// <summary>
/// Money was captured for a department's payment and a receipt issued (<paramref name="ReceiptNumber"/>, sequential per
/// department and fiscal year). <paramref name="Flag"/> is set when the money came in a way the department must look
/// at: after the payment expired, or beyond what the bill still owed (<c>captured_after_expiry</c>, <c>overpaid</c>).
/// Amounts are minor units of <paramref name="Currency"/>.
/// </summary>
[WebhookType("payment.captured")]
public sealed record PaymentCaptured(string PaymentId, string Department, string? BillId, string Gateway, string Account, long AmountMinor,
    string Currency, string Amount, string ReceiptNumber, string? Flag, DateTimeOffset At) : IDepartmentEvent
{
    string IDepartmentEvent.Subject => PaymentId;
    DateTimeOffset IDepartmentEvent.OccurredAt => At;

    public JsonObject WebhookData() => new()
    {
        ["paymentId"] = PaymentId,
        ["billId"] = BillId,
        ["gateway"] = Gateway,
        ["account"] = Account,
        ["amount"] = Amount,
        ["amountMinor"] = AmountMinor,
        ["currency"] = Currency,
        ["receiptNumber"] = ReceiptNumber,
        ["flag"] = Flag,
    };
}

/// <summary>The payment failed at the gateway (declined, cancelled by the payer …); <paramref name="Reason"/> is the gateway's code, never card data.</summary>
[WebhookType("payment.failed")]
public sealed record PaymentFailed(string PaymentId, string Department, string? BillId, string Gateway, string Reason, DateTimeOffset At) : IDepartmentEvent
{
    string IDepartmentEvent.Subject => PaymentId;
    DateTimeOffset IDepartmentEvent.OccurredAt => At;

    public JsonObject WebhookData() => new() { ["paymentId"] = PaymentId, ["billId"] = BillId, ["gateway"] = Gateway, ["reason"] = Reason };
}

/// <summary>Nobody paid before the payment's expiry; the bill's reserved amount is free again.</summary>
[WebhookType("payment.expired")]
public sealed record PaymentExpired(string PaymentId, string Department, string? BillId, string Gateway, DateTimeOffset ExpiredAt, DateTimeOffset At)
    : IDepartmentEvent
{
    string IDepartmentEvent.Subject => PaymentId;
    DateTimeOffset IDepartmentEvent.OccurredAt => At;

    public JsonObject WebhookData() => new() { ["paymentId"] = PaymentId, ["billId"] = BillId, ["gateway"] = Gateway, ["expiredAt"] = ExpiredAt };
}
