using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using IntegrationHub.Adapters.Payments;

namespace IntegrationHub.Adapters.JazzCash;

/// <summary>
/// A JazzCash merchant account (docs/payments.md §1): amounts in paisa (PKR × 100), times in Pakistan time, every request
/// and every answer signed with <c>pp_SecureHash</c>. JazzCash answers HTTP 200 with the outcome in
/// <c>pp_ResponseCode</c>; an answer whose hash does not verify is treated as no answer (thrown, retried).
/// </summary>
public sealed class JazzCashGateway(JazzCashOptions options, HttpClient http) : IPaymentGateway
{
    public const string Name = "jazzcash";
    const string Currency = "PKR";
    const int MaxAnswerBytes = 64 * 1024;
    static readonly TimeSpan PakistanTime = TimeSpan.FromHours(5); // PKT, no daylight saving

    public string Gateway => Name;

    public string Account => options.Account;

    public IReadOnlyList<PaymentMethod> Methods => options.Methods;

    public IReadOnlyCollection<string> Currencies { get; } = [Currency];

    /// <summary>JazzCash refunds carry only the original pp_TxnRefNo: a repeat would refund again.</summary>
    public bool RefundsAreIdempotent => false;

    public async Task<CreatedPayment> Create(PaymentOrder order, CancellationToken cancellationToken = default)
    {
        if (order.Amount.Currency != Currency)
            throw new ExternalSystemException(Name, ExternalFailure.Invalid, $"JazzCash takes PKR only, not {order.Amount.Currency}");
        if (order.Method == PaymentMethod.HostedCheckout)
        {
            // Nothing is called: the payer's browser posts this form to JazzCash, which posts the signed result to the return URL.
            var form = JazzCashSecureHash.Signed(CheckoutFields(order), options.IntegritySalt);
            return new CreatedPayment(order.Reference, new GatewayPayment(order.Reference, order.Reference, PaymentState.Pending, order.Amount, "created"),
                new Checkout.AutoPostForm(options.CheckoutUrl, form));
        }

        if (order.Payer is not { } payer)
            throw new ExternalSystemException(Name, ExternalFailure.Invalid, "a mobile-wallet payment needs the payer's wallet number and CNIC digits");
        var answer = await Call(options.WalletPath, WalletFields(order, payer), cancellationToken);
        var code = answer.GetValueOrDefault("pp_ResponseCode");
        var payment = new GatewayPayment(order.Reference, order.Reference, JazzCashCodes.StateOf(code), order.Amount, code ?? "",
            answer.GetValueOrDefault("pp_ResponseMessage"), Instrument: "MWALLET");
        return new CreatedPayment(order.Reference, payment, payment.State == PaymentState.Pending
            ? new Checkout.ApproveOnPhone("Approve the payment in the JazzCash app or with your MPIN when asked.")
            : null);
    }

    public async Task<GatewayPayment> Status(string reference, string? gatewayId, CancellationToken cancellationToken = default)
    {
        var answer = await Call(options.InquiryPath, [new("pp_TxnRefNo", reference), new("pp_MerchantID", options.MerchantId),
            new("pp_Password", options.Password)], cancellationToken);
        return Inquired(reference, answer);
    }

    /// <summary>A JazzCash order expires by its own <c>pp_TxnExpiryDateTime</c>; there is nothing to cancel, only to ask.</summary>
    public Task<GatewayPayment> Cancel(string reference, string? gatewayId, CancellationToken cancellationToken = default) =>
        Status(reference, gatewayId, cancellationToken);

    public async Task<GatewayRefund> Refund(RefundOrder refund, CancellationToken cancellationToken = default)
    {
        if (refund.Amount.Currency != Currency)
            throw new ExternalSystemException(Name, ExternalFailure.Invalid, $"JazzCash refunds PKR only, not {refund.Amount.Currency}");
        var card = refund.Instrument is "MPAY" or "MIGS";
        List<KeyValuePair<string, string>> fields =
        [
            new("pp_Amount", Paisa(refund.Amount)), new("pp_MerchantID", options.MerchantId), new("pp_Password", options.Password),
            new("pp_TxnCurrency", Currency), new("pp_TxnRefNo", refund.PaymentReference),
        ];
        if (!card)
        {
            if (string.IsNullOrEmpty(options.MerchantMpin))
                throw new ExternalSystemException(Name, ExternalFailure.Unauthorized, "wallet refunds need the account's MerchantMpin, which is not configured");
            fields.Add(new("pp_MerchantMPIN", options.MerchantMpin));
        }
        var answer = await Call(card ? options.CardRefundPath : options.WalletRefundPath, fields, cancellationToken, wrapIn: card ? "RefundRequest" : null);
        var code = answer.GetValueOrDefault("pp_ResponseCode") ?? answer.GetValueOrDefault("responseCode") ?? "";
        return new GatewayRefund(refund.Reference, null, code == JazzCashCodes.Success ? RefundState.Completed : RefundState.Failed, code,
            answer.GetValueOrDefault("pp_ResponseMessage") ?? answer.GetValueOrDefault("responseMessage"));
    }

    public CallbackVerification Verify(GatewayCallback callback)
    {
        var fields = callback.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) == true
            ? JazzCashFields.FromJson(callback.Body)
            : callback.ContentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) == true
                ? JazzCashFields.FromForm(callback.Body)
                : null;
        if (fields is null)
            return new CallbackVerification.Refused(400, "not a JazzCash callback: expected a form post (return) or JSON (IPN) of pp_* fields");
        if (!fields.ContainsKey(JazzCashSecureHash.Field))
            return new CallbackVerification.Refused(401, "no pp_SecureHash");
        if (!JazzCashSecureHash.Verify(fields, options.IntegritySalt))
            return new CallbackVerification.Refused(401, "pp_SecureHash does not verify with this account's integrity salt");
        if (fields.GetValueOrDefault("pp_TxnRefNo") is not { Length: > 0 } reference)
            return new CallbackVerification.Refused(400, "no pp_TxnRefNo");
        if (fields.GetValueOrDefault("pp_MerchantID") is { Length: > 0 } merchant && merchant != options.MerchantId)
            return new CallbackVerification.Refused(401, "pp_MerchantID is another merchant's");

        var code = fields.GetValueOrDefault("pp_ResponseCode") ?? "";
        var payment = new GatewayPayment(reference, reference, JazzCashCodes.StateOf(code), Amount(fields.GetValueOrDefault("pp_Amount")), code,
            fields.GetValueOrDefault("pp_ResponseMessage"), Instrument: NonEmpty(fields.GetValueOrDefault("pp_TxnType")));
        var eventId = "jc_" + Convert.ToHexString(SHA256.HashData(callback.Body))[..32];
        if (callback.ContentType!.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            // The IPN expects a signed acknowledgement; without one JazzCash calls twice more.
            var reply = JazzCashSecureHash.Signed([new("pp_ResponseCode", JazzCashCodes.Success), new("pp_ResponseMessage", "IPN received successfully")],
                options.IntegritySalt);
            return new CallbackVerification.Verified(eventId, CallbackKind.PaymentEvent, payment,
                Reply: new CallbackReply("application/json", JsonSerializer.Serialize(reply.ToDictionary(f => f.Key, f => f.Value))));
        }
        return new CallbackVerification.Verified(eventId, CallbackKind.ReturnPost, payment);
    }

    public async Task<IReadOnlyList<GatewayPayment>> List(DateTimeOffset from, DateTimeOffset to, IReadOnlyCollection<string> known,
        CancellationToken cancellationToken = default)
    {
        // JazzCash has no list API: each transaction the hub knows of is asked for, a few at a time.
        var results = new GatewayPayment[known.Count];
        await Parallel.ForEachAsync(known.Select((reference, index) => (reference, index)),
            new ParallelOptions { MaxDegreeOfParallelism = options.InquiryParallelism, CancellationToken = cancellationToken },
            async (item, ct) => results[item.index] = await Status(item.reference, null, ct));
        return results;
    }

    IEnumerable<KeyValuePair<string, string>> CheckoutFields(PaymentOrder order) =>
    [
        new("pp_Version", options.CheckoutVersion), new("pp_TxnType", ""), new("pp_Language", "EN"), new("pp_MerchantID", options.MerchantId),
        new("pp_SubMerchantID", ""), new("pp_Password", options.Password), new("pp_BankID", ""), new("pp_ProductID", ""),
        new("pp_TxnRefNo", order.Reference), new("pp_Amount", Paisa(order.Amount)), new("pp_TxnCurrency", Currency),
        new("pp_TxnDateTime", PakistanTimeOf(order.CreatedAt)), new("pp_BillReference", order.BillReference),
        new("pp_Description", order.Description), new("pp_TxnExpiryDateTime", PakistanTimeOf(order.ExpiresAt)),
        new("pp_ReturnURL", order.ReturnUrl?.ToString() ?? throw new ExternalSystemException(Name, ExternalFailure.Invalid, "a hosted checkout needs a return URL")),
        new("ppmpf_1", ""), new("ppmpf_2", ""), new("ppmpf_3", ""), new("ppmpf_4", ""), new("ppmpf_5", ""),
    ];

    IEnumerable<KeyValuePair<string, string>> WalletFields(PaymentOrder order, WalletPayer payer) =>
    [
        new("pp_Amount", Paisa(order.Amount)), new("pp_BankID", ""), new("pp_BillReference", order.BillReference), new("pp_CNIC", payer.IdentityDigits),
        new("pp_Description", order.Description), new("pp_Language", "EN"), new("pp_MerchantID", options.MerchantId),
        new("pp_MobileNumber", payer.MobileNumber), new("pp_Password", options.Password), new("pp_ProductID", ""), new("pp_SubMerchantID", ""),
        new("pp_TxnCurrency", Currency), new("pp_TxnDateTime", PakistanTimeOf(order.CreatedAt)),
        new("pp_TxnExpiryDateTime", PakistanTimeOf(order.ExpiresAt)), new("pp_TxnRefNo", order.Reference),
        new("ppmpf_1", ""), new("ppmpf_2", ""), new("ppmpf_3", ""), new("ppmpf_4", ""), new("ppmpf_5", ""),
    ];

    GatewayPayment Inquired(string reference, IReadOnlyDictionary<string, string?> answer)
    {
        var call = answer.GetValueOrDefault("pp_ResponseCode");
        var paymentCode = answer.GetValueOrDefault("pp_PaymentResponseCode");
        var status = answer.GetValueOrDefault("pp_Status");
        // Two levels: pp_ResponseCode is the inquiry's own outcome, pp_PaymentResponseCode / pp_Status the payment's.
        var state = call == JazzCashCodes.NoSuchTransaction || paymentCode == JazzCashCodes.NoSuchTransaction ? PaymentState.NotFound
            : call != JazzCashCodes.Success ? throw new ExternalSystemException(Name, ExternalFailure.Unavailable,
                $"the inquiry for {reference} answered {call}: {answer.GetValueOrDefault("pp_ResponseMessage")}")
            : string.Equals(status, "Completed", StringComparison.OrdinalIgnoreCase) ? PaymentState.Captured
            : string.Equals(status, "Pending", StringComparison.OrdinalIgnoreCase) ? PaymentState.Pending
            : string.Equals(status, "Failed", StringComparison.OrdinalIgnoreCase) ? PaymentState.Failed
            : JazzCashCodes.StateOf(paymentCode);
        return new GatewayPayment(reference, reference, state, Amount(answer.GetValueOrDefault("pp_Amount")), paymentCode ?? call ?? "",
            answer.GetValueOrDefault("pp_PaymentResponseMessage") ?? answer.GetValueOrDefault("pp_ResponseMessage"),
            Instrument: NonEmpty(answer.GetValueOrDefault("pp_TxnType")));
    }

    async Task<IReadOnlyDictionary<string, string?>> Call(string path, IEnumerable<KeyValuePair<string, string>> fields, CancellationToken cancellationToken,
        string? wrapIn = null)
    {
        var signed = JazzCashSecureHash.Signed(fields, options.IntegritySalt).ToDictionary(f => f.Key, f => f.Value);
        object body = wrapIn is null ? signed : new Dictionary<string, object> { [wrapIn] = signed };
        HttpResponseMessage response;
        try
        {
            response = await http.PostAsJsonAsync(new Uri(options.ApiBaseUrl, path), body, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new ExternalSystemException(Name, ExternalFailure.Unavailable, $"{path} could not be reached ({e.HttpRequestError})", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ExternalSystemException(Name, ExternalFailure.TimedOut, $"{path} did not answer in time", e);
        }
        using (response)
        {
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                throw new ExternalSystemException(Name, ExternalFailure.Unauthorized, $"{path} answered {(int)response.StatusCode}");
            if (!response.IsSuccessStatusCode)
                throw new ExternalSystemException(Name, ExternalFailure.Unavailable, $"{path} answered {(int)response.StatusCode}");
            var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            var answer = bytes.Length <= MaxAnswerBytes ? JazzCashFields.FromJson(bytes) : null;
            if (answer is null)
                throw new ExternalSystemException(Name, ExternalFailure.Unavailable, $"{path} answered something that is not a JSON object of pp_* fields");
            if (wrapIn is not null && answer.Count == 1 && JazzCashFields.Unwrap(bytes) is { } inner)
                answer = inner;
            if (IsUnsignedRefusal(answer))
                throw new ExternalSystemException(Name, ExternalFailure.Unauthorized,
                    $"{path} refused the hub's request ({answer.GetValueOrDefault("pp_ResponseCode")}): check MerchantId, Password and IntegritySalt");
            if (!JazzCashSecureHash.Verify(answer, options.IntegritySalt))
                throw new ExternalSystemException(Name, ExternalFailure.Unavailable, $"{path} answered with a pp_SecureHash that does not verify");
            return answer;
        }
    }

    // JazzCash answers a request it cannot authenticate (115 invalid hash, 101 invalid credentials) without a hash of its own.
    static bool IsUnsignedRefusal(IReadOnlyDictionary<string, string?> answer) =>
        !answer.ContainsKey(JazzCashSecureHash.Field) && answer.GetValueOrDefault("pp_ResponseCode") is JazzCashCodes.InvalidHash or "101";

    static string Paisa(Money amount) => amount.Minor.ToString(CultureInfo.InvariantCulture); // PKR's minor unit is the paisa

    static Money? Amount(string? paisa) =>
        long.TryParse(paisa, NumberStyles.None, CultureInfo.InvariantCulture, out var minor) && minor <= Money.MaxMinor ? new Money(minor, Currency) : null;

    static string PakistanTimeOf(DateTimeOffset at) => at.ToOffset(PakistanTime).ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);

    static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
