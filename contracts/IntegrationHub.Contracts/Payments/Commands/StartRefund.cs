namespace IntegrationHub.Contracts.Payments.Commands;

/// <summary>Refund <paramref name="AmountMinor"/> of a captured payment (the Payments API, or the hub's own overpayment policy).</summary>
public sealed record StartRefund(string RefundId, string PaymentId, string Department, long AmountMinor, string Reason);
