namespace IntegrationHub.Contracts.Payments.Commands;

/// <summary>
/// Take a payment for a department (sent by the Payments API once the request is accepted): of a bill's outstanding
/// amount or of a free amount, through one of the department's gateway accounts.
/// </summary>
/// <param name="Reference">The order reference the gateway sees (unique, at most 20 letters and digits).</param>
/// <param name="Method"><c>hosted-checkout</c> or <c>mobile-wallet</c>.</param>
/// <param name="ReturnUrl">The department page the payer's browser goes back to (registered for the department).</param>
public sealed record StartPayment(string PaymentId, string Department, string Account, string Reference, string? BillId, long AmountMinor,
    string Currency, string BillReference, string Description, string Method, string? WalletMobile, string? WalletIdentityDigits,
    string? ReturnUrl, DateTimeOffset ExpiresAt);
