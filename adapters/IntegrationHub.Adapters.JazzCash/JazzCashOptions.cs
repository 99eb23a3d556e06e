using IntegrationHub.Adapters.Payments;

namespace IntegrationHub.Adapters.JazzCash;

/// <summary>
/// One JazzCash merchant account. Hosts and paths are settings because JazzCash moved platforms in 2026 and its paths are
/// reported by integrations rather than confirmed (docs/payments.md §1.1–1.2); the defaults are the legacy sandbox's.
/// </summary>
public sealed class JazzCashOptions
{
    public required string Account { get; init; }
    public required string MerchantId { get; init; }
    public required string Password { get; init; }
    public required string IntegritySalt { get; init; }

    /// <summary>The merchant wallet's MPIN, needed for wallet refunds only.</summary>
    public string? MerchantMpin { get; init; }

    /// <summary>Base of the REST API (before <c>/ApplicationAPI/API</c>).</summary>
    public Uri ApiBaseUrl { get; init; } = new("https://sandbox.jazzcash.com.pk");

    /// <summary>Where the payer's browser posts the hosted checkout form.</summary>
    public Uri CheckoutUrl { get; init; } = new("https://sandbox.jazzcash.com.pk/CustomerPortal/transactionmanagement/merchantform/");

    public string WalletPath { get; init; } = "/ApplicationAPI/API/2.0/Purchase/DoMWalletTransaction";
    public string InquiryPath { get; init; } = "/ApplicationAPI/API/PaymentInquiry/Inquire";
    public string WalletRefundPath { get; init; } = "/ApplicationAPI/API/Purchase/domwalletrefundtransaction";
    public string CardRefundPath { get; init; } = "/ApplicationAPI/API/authorize/Refund";

    /// <summary><c>pp_Version</c> of the hosted checkout form.</summary>
    public string CheckoutVersion { get; init; } = "1.1";

    public IReadOnlyList<PaymentMethod> Methods { get; init; } = [PaymentMethod.HostedCheckout, PaymentMethod.MobileWallet];

    /// <summary>How many inquiries run at once during reconciliation (JazzCash answers about 20 calls a second).</summary>
    public int InquiryParallelism { get; init; } = 4;

    /// <summary>Every problem at once, for the endpoint's configuration check.</summary>
    public IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(MerchantId)) yield return "MerchantId is missing";
        if (string.IsNullOrWhiteSpace(Password)) yield return "Password is missing";
        if (string.IsNullOrWhiteSpace(IntegritySalt)) yield return "IntegritySalt is missing";
        if (!ApiBaseUrl.IsAbsoluteUri) yield return "ApiBaseUrl must be an absolute URL";
        if (!CheckoutUrl.IsAbsoluteUri) yield return "CheckoutUrl must be an absolute URL";
        if (Methods.Count == 0) yield return "Methods is empty";
        if (InquiryParallelism is < 1 or > 20) yield return "InquiryParallelism must be 1 to 20";
    }
}
