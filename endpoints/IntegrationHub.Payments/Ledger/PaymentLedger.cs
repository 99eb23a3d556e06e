namespace IntegrationHub.Payments.Ledger;

public sealed record BillItem(string Description, long AmountMinor);

/// <summary>A department's bill; <paramref name="ReservedMinor"/> is what running payments set aside, <paramref name="PaidMinor"/> what was captured.</summary>
public sealed record BillRow(string Department, string Id, string Reference, string? PayerName, string? PayerMobile, string? PayerEmail,
    IReadOnlyList<BillItem> Items, long AmountMinor, string Currency, DateOnly? DueDate, long ReservedMinor, long PaidMinor, DateTimeOffset CreatedAt,
    string? IdempotencyKey)
{
    /// <summary>What a new payment may still take: neither paid nor set aside by a running one.</summary>
    public long OutstandingMinor => Math.Max(0, AmountMinor - PaidMinor - ReservedMinor);
}

/// <summary>One payment attempt, as the saga opened it: what the gateway is asked for, and where it stands.</summary>
public sealed record PaymentRow(string Department, string Id, string Account, string Gateway, string Reference, string? BillId, long AmountMinor,
    string Currency, string BillReference, string Description, string Method, string? ReturnUrl, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt,
    string State, string? GatewayId = null, string? CheckoutTokenHash = null, long CapturedMinor = 0, string? Flag = null, long RefundedMinor = 0,
    long RefundReservedMinor = 0, string? Instrument = null)
{
    /// <summary>What may still be refunded: captured, less what was refunded or is being refunded.</summary>
    public long RefundableMinor => Math.Max(0, CapturedMinor - RefundedMinor - RefundReservedMinor);
}

/// <summary>A refund of part or all of a captured payment.</summary>
public sealed record RefundRow(string Department, string Id, string PaymentId, long AmountMinor, string Currency, string Reason, string State,
    DateTimeOffset CreatedAt, string? GatewayRefundId = null);

public sealed record ReceiptRow(string Department, string FiscalYear, long Sequence, string Number, string PaymentId, string? BillId, string BillReference,
    long AmountMinor, string Currency, string Gateway, string? PayerName, IReadOnlyList<BillItem> Items, DateTimeOffset IssuedAt);

/// <summary>One reconciliation run and, once finished, what it found.</summary>
public sealed record ReconciliationRun(string RunId, string Account, DateOnly Day, string RequestedBy, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt = null,
    int Checked = 0, IReadOnlyList<Reconciliation.Mismatch>? Mismatches = null, string? Error = null);

/// <summary>A gateway callback as recorded for operators: outcome and reason, never a body.</summary>
public sealed record CallbackRow(string Gateway, string Account, DateTimeOffset ReceivedAt, string Outcome, string? Reason, string? EventId, string? Reference);

public static class PaymentStates
{
    public const string Pending = "pending";
    public const string Captured = "captured";
    public const string Failed = "failed";
    public const string Expired = "expired";
}

public static class RefundStates
{
    public const string Pending = "pending";
    public const string Completed = "completed";
    public const string Failed = "failed";
    /// <summary>The gateway may or may not have refunded (a JazzCash refund repeated after a crash is never sent twice): operators check.</summary>
    public const string Unknown = "unknown";
}

/// <summary>
/// Bills, payments and receipts. <see cref="Open"/>, <see cref="SetGatewayId"/>, <see cref="Close"/> and
/// <see cref="Capture"/> run in the payment saga's own transaction (with PostgreSQL), so that the money's state, the
/// saga's and the events it sends commit together; the reads use their own connection.
/// </summary>
public interface IPaymentLedger
{
    /// <summary>Adds the bill, or returns the one added before under the same idempotency key.</summary>
    Task<BillRow> AddBill(BillRow bill, CancellationToken cancellationToken);

    Task<BillRow?> Bill(string department, string id, CancellationToken cancellationToken);

    Task<PaymentRow?> Payment(string department, string id, CancellationToken cancellationToken);

    Task<PaymentRow?> PaymentByReference(string reference, CancellationToken cancellationToken);

    Task<ReceiptRow?> Receipt(string department, string paymentId, CancellationToken cancellationToken);

    Task RecordCallback(CallbackRow callback, CancellationToken cancellationToken);

    /// <summary>The latest callbacks, newest first (for operators: what was accepted, refused and why).</summary>
    Task<IReadOnlyList<CallbackRow>> Callbacks(int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Records the payment and, for a bill, sets its amount aside: false (nothing recorded) when the bill no longer has
    /// that much outstanding — another checkout took it, or it was paid.
    /// </summary>
    Task<bool> Open(PaymentRow payment);

    Task SetGatewayId(string department, string id, string gatewayId, string? checkoutTokenHash);

    /// <summary>Ends a payment that took no money (failed, expired): its bill's reservation is freed.</summary>
    Task Close(string department, string id, string state);

    /// <summary>
    /// Records money captured (once: a repeat returns the first receipt), settles the bill and issues the next receipt
    /// number of the department's fiscal year. Money after the payment ended, or beyond the bill, is recorded and flagged.
    /// </summary>
    Task<Captured> Capture(string department, string id, long capturedMinor, string? instrument, string fiscalYear, DateTimeOffset at);

    /// <summary>
    /// Records the refund and sets its amount aside on its payment: false (nothing recorded) when that is more than the
    /// payment has left to refund — captured, less refunded and being refunded.
    /// </summary>
    Task<bool> OpenRefund(RefundRow refund);

    /// <summary>Ends a refund: completed moves its amount to refunded, failed gives it back, unknown keeps it set aside.</summary>
    Task CloseRefund(string department, string refundId, string state, string? gatewayRefundId);

    Task<RefundRow?> Refund(string department, string refundId, CancellationToken cancellationToken);

    /// <summary>The account's payments created in [<paramref name="from"/>, <paramref name="to"/>).</summary>
    Task<IReadOnlyList<PaymentRow>> PaymentsOf(string account, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken);

    /// <summary>Records a run as started: false when it is a scheduled run of an account and day that another instance started.</summary>
    Task<bool> StartRun(ReconciliationRun run, CancellationToken cancellationToken);

    Task FinishRun(string runId, DateTimeOffset at, int checkedPayments, IReadOnlyList<Reconciliation.Mismatch> mismatches, string? error, CancellationToken cancellationToken);

    Task<ReconciliationRun?> Run(string runId, CancellationToken cancellationToken);

    Task<int> PruneRuns(DateTimeOffset before, int batchSize, CancellationToken cancellationToken);

    /// <summary>
    /// Blanks the payer's name, mobile and e-mail of bills created before <paramref name="before"/>; the amounts stay.
    /// Only <paramref name="department"/>'s bills when given; otherwise every department's but those in <paramref name="except"/>.
    /// </summary>
    Task<int> ForgetPayers(DateTimeOffset before, int batchSize, string? department, IReadOnlyCollection<string> except, CancellationToken cancellationToken);

    /// <summary>Deletes receipts issued before <paramref name="before"/>, with their payments.</summary>
    Task<int> PruneReceipts(DateTimeOffset before, int batchSize, CancellationToken cancellationToken);

    Task<int> PruneCallbacks(DateTimeOffset before, int batchSize, CancellationToken cancellationToken);
}

/// <summary>A capture's receipt, and why the department must look at it (see <see cref="ReceiptNumbers.FlagOf"/>), if it must.</summary>
/// <param name="ExcessMinor">Money beyond what the bill (or, after expiry, the payment) still owed: what an overpayment policy would refund.</param>
public sealed record Captured(ReceiptRow Receipt, string? Flag, long ExcessMinor = 0);

/// <summary>Receipt numbers: <c>{DEPARTMENT}-{fiscal year}-{sequence, six digits}</c>, e.g. <c>DEMO-2026-27-000042</c>.</summary>
public static class ReceiptNumbers
{
    public static string Of(string department, string fiscalYear, long sequence) =>
        $"{department.ToUpperInvariant()}-{fiscalYear}-{sequence.ToString("D6", System.Globalization.CultureInfo.InvariantCulture)}";

    /// <summary>The fiscal year of <paramref name="at"/> in the department's zone: <c>2026-27</c> for a year starting in July 2026.</summary>
    public static string FiscalYear(DateTimeOffset at, int startMonth, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(at, zone);
        var first = local.Month >= startMonth ? local.Year : local.Year - 1;
        return startMonth == 1 ? first.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{first}-{(first + 1) % 100:D2}";
    }

    /// <summary>
    /// Why a capture is flagged for the department: it came after the payment ended, for another amount than asked, or
    /// beyond what the bill owed; null when it is none of these.
    /// </summary>
    public static string? FlagOf(string stateBefore, long askedMinor, long capturedMinor, long? billAmountMinor, long? billPaidAfterMinor) =>
        stateBefore is PaymentStates.Failed or PaymentStates.Expired ? "captured_after_expiry"
        : capturedMinor != askedMinor ? "amount_mismatch"
        : billPaidAfterMinor > billAmountMinor ? "overpaid"
        : null;

    /// <summary>
    /// What a receipt lists: the bill's items when they add up to the money captured; otherwise one line for the amount
    /// actually received (a capture of another amount is flagged, and a receipt states what was paid).
    /// </summary>
    public static IReadOnlyList<BillItem> ItemsOf(IReadOnlyList<BillItem>? billItems, string billReference, string description, long capturedMinor) =>
        billItems is { Count: > 0 } items && items.Sum(i => i.AmountMinor) == capturedMinor
            ? items
            : [new BillItem(billItems is null ? description : $"Payment towards {billReference}", capturedMinor)];

    /// <summary>Money beyond what was owed: over the bill's amount for a bill, over the amount asked otherwise.</summary>
    /// <remarks>Never more than this capture: what earlier captures overpaid is theirs to refund.</remarks>
    public static long ExcessOf(long askedMinor, long capturedMinor, long? billAmountMinor, long? billPaidAfterMinor) =>
        Math.Min(capturedMinor, billAmountMinor is { } amount ? Math.Max(0, (billPaidAfterMinor ?? 0) - amount) : Math.Max(0, capturedMinor - askedMinor));
}
