using IntegrationHub.Adapters.Payments;

namespace IntegrationHub.Adapters.JazzCash;

/// <summary>
/// JazzCash's response codes in the hub's states (docs/payments.md §1.9, a policy derived from its table: no vendor page
/// states it): success 000 and 121, pending 124 (over-the-counter voucher), 157 (awaiting the payer's MPIN), 013, 210;
/// 109 "transaction does not exist"; everything else failed for this attempt.
/// </summary>
public static class JazzCashCodes
{
    public const string Success = "000";
    public const string ConfirmedByMerchant = "121";
    public const string AwaitingPayer = "157";
    public const string NoSuchTransaction = "109";
    public const string InvalidHash = "115";
    public const string CancelledByUser = "112";
    public const string Expired = "199";

    static readonly HashSet<string> Successes = [Success, ConfirmedByMerchant];
    static readonly HashSet<string> Pendings = ["124", AwaitingPayer, "013", "210"];

    public static PaymentState StateOf(string? code) => code switch
    {
        null or "" => PaymentState.Failed,
        _ when Successes.Contains(code) => PaymentState.Captured,
        _ when Pendings.Contains(code) => PaymentState.Pending,
        NoSuchTransaction => PaymentState.NotFound,
        _ => PaymentState.Failed,
    };
}
