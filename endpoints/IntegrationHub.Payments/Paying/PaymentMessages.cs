namespace IntegrationHub.Payments.Paying;

// The payment saga's own messages, beside it: what it asks the gateway call handler, what comes back, its timers.

/// <summary>What the saga asks of the gateway: <c>create</c> the order, ask its <c>status</c>, or <c>cancel</c> it at expiry.</summary>
public sealed record CallPaymentGateway(string PaymentKey, string Call, string Account, string Reference, string? GatewayId, long AmountMinor, string Currency,
    string BillReference, string Description, string Method, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, string? ReturnUrl, string? WalletMobile,
    string? WalletIdentityDigits);

/// <summary>
/// What the gateway said: its id for the payment, the payment's state (<c>pending</c>, <c>captured</c>, <c>failed</c>,
/// <c>not-found</c>) and, after a create, what the payer needs (<paramref name="CheckoutKind"/> and its data, never a secret).
/// </summary>
public sealed record PaymentGatewayAnswered(string PaymentKey, string Call, string? GatewayId, string State, long? AmountMinor, string Code,
    string? CheckoutKind, string? CheckoutSecret, string? CheckoutMessage, string? Instrument = null);

/// <summary>A verified callback about the payment with this reference (webhook, IPN or return post).</summary>
/// <param name="FromBrowser">A return post: the payer's browser carried it, so the gateway is asked before it counts.</param>
/// <param name="Account">The account whose route and secret verified it: a callback counts only for that account's payments.</param>
public sealed record PaymentCallbackReceived(string Reference, string EventId, string State, long? AmountMinor, string Code, bool FromBrowser,
    string Gateway, string Account, string? Instrument = null);

/// <summary>What the saga asks of the gateway to refund.</summary>
public sealed record CallGatewayRefund(string RefundId, string Account, string PaymentReference, string? PaymentGatewayId, long AmountMinor, string Currency,
    string? Instrument, string Reason);

/// <summary>What the gateway said of the refund: <c>completed</c>, <c>pending</c>, <c>failed</c> or <c>unknown</c> (never sent twice).</summary>
public sealed record RefundGatewayAnswered(string RefundId, string State, string? GatewayRefundId, string Code);

/// <summary>A verified callback about a refund (Stripe's refund.* events).</summary>
public sealed record RefundCallbackReceived(string RefundId, string EventId, string State, string? GatewayRefundId, string Code, string Account);

public sealed record RefundTimedOut(string RefundId);

public sealed record PaymentPollDue(string PaymentKey);

public sealed record PaymentExpiryDue(string PaymentKey);
