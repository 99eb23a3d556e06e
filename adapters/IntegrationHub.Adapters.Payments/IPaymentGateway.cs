namespace IntegrationHub.Adapters.Payments;

/// <summary>
/// One merchant account at one payment gateway, as the payment saga drives it. Every call carries the hub's own id as
/// its idempotency key (the order reference the gateway sees), so a call repeated after a crash or a timeout finds the
/// first one instead of charging twice. Failures to reach the gateway are thrown as
/// <see cref="ExternalSystemException"/>; what the gateway says about the payment is returned.
/// </summary>
public interface IPaymentGateway
{
    /// <summary>The gateway's name in routes and settings: <c>stripe</c>, <c>jazzcash</c>.</summary>
    string Gateway { get; }

    /// <summary>The merchant account (a department's own), the second part of its callback route.</summary>
    string Account { get; }

    /// <summary>The methods this account takes, the first being its default.</summary>
    IReadOnlyList<PaymentMethod> Methods { get; }

    /// <summary>The ISO 4217 currencies this account takes.</summary>
    IReadOnlyCollection<string> Currencies { get; }

    /// <summary>Creates the order at the gateway (idempotent by <see cref="PaymentOrder.Reference"/>) and says what the citizen needs.</summary>
    Task<CreatedPayment> Create(PaymentOrder order, CancellationToken cancellationToken = default);

    /// <summary>
    /// What the gateway knows of the payment now (polled when its callbacks are late or lost). <paramref name="gatewayId"/>
    /// is the id <see cref="Create"/> returned, where the gateway needs it (Stripe).
    /// </summary>
    Task<GatewayPayment> Status(string reference, string? gatewayId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stops a payment that has expired from being paid, where the gateway can (Stripe cancels the PaymentIntent; a
    /// JazzCash order carries its own expiry), and says where it stands: it may have been captured meanwhile.
    /// </summary>
    Task<GatewayPayment> Cancel(string reference, string? gatewayId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Whether a refund repeated with the same <see cref="RefundOrder.Reference"/> refunds once (Stripe's idempotency key).
    /// Where it does not (JazzCash has no refund reference), a refund whose first attempt may have reached the gateway is
    /// never sent again: its outcome is unknown until an operator checks.
    /// </summary>
    bool RefundsAreIdempotent { get; }

    /// <summary>Refunds part or all of a captured payment (idempotent by <see cref="RefundOrder.Reference"/> where <see cref="RefundsAreIdempotent"/>).</summary>
    Task<GatewayRefund> Refund(RefundOrder refund, CancellationToken cancellationToken = default);

    /// <summary>
    /// Verifies a callback (webhook, return post, IPN) by the gateway's own scheme before anything reads it, and reads
    /// it only then. Never throws for what was received: a forged, stale or unreadable callback is a refusal.
    /// </summary>
    CallbackVerification Verify(GatewayCallback callback);

    /// <summary>
    /// The gateway's records for reconciliation: payments created in [<paramref name="from"/>, <paramref name="to"/>),
    /// or, for gateways without a list API (JazzCash), an inquiry for each of <paramref name="known"/>.
    /// </summary>
    Task<IReadOnlyList<GatewayPayment>> List(DateTimeOffset from, DateTimeOffset to, IReadOnlyCollection<string> known,
        CancellationToken cancellationToken = default);
}

public enum PaymentMethod
{
    /// <summary>The gateway's own page, reached by a redirect or an auto-posted form (Stripe: the PaymentIntent's client secret).</summary>
    HostedCheckout,

    /// <summary>A mobile wallet charged by the hub's call, approved by the payer on the phone (JazzCash MWALLET).</summary>
    MobileWallet,
}

/// <summary>What the hub asks a gateway to collect.</summary>
/// <param name="Reference">The hub's payment reference, unique per account and at most 20 ASCII letters and digits (JazzCash's limit).</param>
/// <param name="BillReference">The department's bill or challan number, letters and digits.</param>
/// <param name="Description">Shown to the payer; ASCII letters, digits, spaces and <c>.,-</c> only (JazzCash replaces others).</param>
/// <param name="ReturnUrl">Where the gateway sends the payer's browser back (a hub route, never a department's URL).</param>
/// <param name="Payer">The wallet's number and the payer's identity digits, for <see cref="PaymentMethod.MobileWallet"/> only.</param>
public sealed record PaymentOrder(string Reference, Money Amount, string BillReference, string Description, PaymentMethod Method,
    DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, Uri? ReturnUrl, WalletPayer? Payer = null, IReadOnlyDictionary<string, string>? Metadata = null);

/// <summary>A JazzCash-style wallet payer: mobile number <c>03XXXXXXXXX</c> and the last six digits of the CNIC.</summary>
public sealed record WalletPayer(string MobileNumber, string IdentityDigits);

/// <summary>What creating a payment gave: the gateway's id, its state, and what the citizen needs to pay.</summary>
public sealed record CreatedPayment(string GatewayId, GatewayPayment Payment, Checkout? Checkout);

/// <summary>What the citizen needs: a page to open, or a form the hub renders and posts for them (its fields are secret).</summary>
public abstract record Checkout
{
    /// <summary>A URL the citizen opens, or a client secret for the gateway's script on a page.</summary>
    public sealed record Redirect(Uri Url) : Checkout;

    /// <summary>Stripe: the PaymentIntent's client secret and the account's publishable key, for Stripe.js on a page.</summary>
    public sealed record ClientSecret(string Secret, string PublishableKey) : Checkout;

    /// <summary>A form the browser posts to <paramref name="Action"/>. Its fields carry merchant secrets: rendered by the hub only.</summary>
    public sealed record AutoPostForm(Uri Action, IReadOnlyList<KeyValuePair<string, string>> Fields) : Checkout;

    /// <summary>Nothing to open: the payer approves on their phone (mobile wallet).</summary>
    public sealed record ApproveOnPhone(string Message) : Checkout;
}

public enum PaymentState
{
    /// <summary>Created, the payer has not paid yet (or the gateway is still deciding).</summary>
    Pending,

    /// <summary>The money is captured.</summary>
    Captured,

    /// <summary>The attempt failed (declined, cancelled, wrong PIN …).</summary>
    Failed,

    /// <summary>The gateway knows no such payment.</summary>
    NotFound,
}

/// <summary>A gateway's view of one payment.</summary>
/// <param name="Reference">The hub's reference (JazzCash pp_TxnRefNo, Stripe metadata.hub_reference).</param>
/// <param name="Refunded">Money refunded so far, where the gateway says.</param>
/// <param name="Code">The gateway's own status or response code, for operators.</param>
/// <param name="Instrument">How it was paid, in the gateway's words (JazzCash MWALLET, MPAY; Stripe card …), where known.</param>
public sealed record GatewayPayment(string Reference, string? GatewayId, PaymentState State, Money? Amount, string Code, string? Message = null,
    DateTimeOffset? CreatedAt = null, Money? Refunded = null, string? Instrument = null);

/// <summary>A refund of <paramref name="Amount"/> from the payment the hub knows as <paramref name="PaymentReference"/>.</summary>
/// <param name="Instrument">The payment's <see cref="GatewayPayment.Instrument"/>: JazzCash refunds wallets and cards at different paths.</param>
public sealed record RefundOrder(string Reference, string PaymentReference, string? PaymentGatewayId, Money Amount, string? Instrument, string Reason);

public enum RefundState { Pending, Completed, Failed }

public sealed record GatewayRefund(string Reference, string? GatewayId, RefundState State, string Code, string? Message = null);

/// <summary>A callback exactly as it arrived: the raw body (never re-serialised), its content type and headers.</summary>
public sealed record GatewayCallback(byte[] Body, string? ContentType, IReadOnlyDictionary<string, string> Headers, DateTimeOffset ReceivedAt);

/// <summary>The outcome of verifying a callback: refused with a reason (nothing from the body), or what it says.</summary>
public abstract record CallbackVerification
{
    /// <param name="Status">400 for an unreadable callback, 401 for a forged or stale signature.</param>
    /// <param name="Reason">For logs and the refused-callback record: never card or personal data.</param>
    public sealed record Refused(int Status, string Reason) : CallbackVerification;

    /// <param name="EventId">The gateway's id of this event (for deduplication), or a hash of the body when it has none.</param>
    /// <param name="Kind">What the callback is about.</param>
    /// <param name="Payment">The payment's state as the callback says (a refund's payment for refund events).</param>
    /// <param name="Refund">For refund events: the refund's state.</param>
    /// <param name="Reply">What to answer the gateway, when it expects a particular body (JazzCash IPN).</param>
    public sealed record Verified(string EventId, CallbackKind Kind, GatewayPayment? Payment, GatewayRefund? Refund = null,
        CallbackReply? Reply = null) : CallbackVerification;
}

public enum CallbackKind
{
    /// <summary>A payment's outcome, pushed by the gateway (Stripe webhook, JazzCash IPN).</summary>
    PaymentEvent,

    /// <summary>The payer's browser coming back with the gateway's signed result (JazzCash return post): show them where they stand.</summary>
    ReturnPost,

    /// <summary>A refund's outcome.</summary>
    RefundEvent,

    /// <summary>Verified, but nothing the hub acts on (another event type).</summary>
    Ignored,
}

public sealed record CallbackReply(string ContentType, string Body);
