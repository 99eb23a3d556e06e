using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using IntegrationHub.Adapters.JazzCash;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;

namespace IntegrationHub.Adapters.Payments.Simulator;

/// <summary>
/// JazzCash's legacy platform on a WireMock server on loopback (docs/payments.md §1): the hosted checkout form
/// (<c>merchantform</c>, with and without its trailing slash), mobile-wallet REST (answered 157, pending until the payer
/// approves), payment inquiry (two levels of codes), wallet and card refunds — every message checked and signed with
/// <c>pp_SecureHash</c>, every answer HTTP 200 with the outcome in <c>pp_ResponseCode</c>, 115 for a bad hash. The
/// payer's side (<see cref="CompleteCheckout"/>, <see cref="ApproveWallet"/>) produces the signed return post and IPN.
/// Reusing a <c>pp_TxnRefNo</c> is undocumented at JazzCash; here it is refused with 999 (flagged in docs/payments.md).
/// </summary>
public sealed class JazzCashSimulator : IDisposable
{
    public const string MerchantId = "MC00001";
    public const string Password = "simulated-password";
    public const string IntegritySalt = "simulated-salt-0123";
    public const string MerchantMpin = "1234";
    public const string CheckoutPath = "/CustomerPortal/transactionmanagement/merchantform/";
    readonly WireMockServer _server;
    readonly ConcurrentDictionary<string, Transaction> _transactions = new();
    readonly object _gate = new();
    Func<HttpClient> _client = () => new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });

    /// <summary>What the simulator knows of one pp_TxnRefNo.</summary>
    public sealed class Transaction
    {
        public required string Reference { get; init; }
        public required long Amount { get; set; }
        public required string Type { get; set; }
        public required string BillReference { get; init; }
        public string? ReturnUrl { get; init; }
        public string Code { get; set; } = "157";
        public long Refunded { get; set; }
        public int Refunds { get; set; }
    }

    JazzCashSimulator(WireMockServer server)
    {
        _server = server;
        foreach (var path in new[] { CheckoutPath, CheckoutPath.TrimEnd('/') })
            _server.Given(Request.Create().WithPath(path).UsingPost()).RespondWith(Response.Create().WithCallback(Checkout));
        var defaults = Options("any");
        _server.Given(Request.Create().WithPath(defaults.WalletPath).UsingPost()).RespondWith(Response.Create().WithCallback(Wallet));
        _server.Given(Request.Create().WithPath(defaults.InquiryPath).UsingPost()).RespondWith(Response.Create().WithCallback(Inquire));
        _server.Given(Request.Create().WithPath(defaults.WalletRefundPath).UsingPost()).RespondWith(Response.Create().WithCallback(r => RefundCall(r, card: false)));
        _server.Given(Request.Create().WithPath(defaults.CardRefundPath).UsingPost()).RespondWith(Response.Create().WithCallback(r => RefundCall(r, card: true)));
    }

    public static JazzCashSimulator Start() => new(WireMockServer.Start(new WireMockServerSettings { Urls = ["http://127.0.0.1:0"] }));

    public Uri BaseUrl => new(_server.Url!);

    /// <summary>Where IPNs go (the hub's callback route for this account); null: no IPN is sent.</summary>
    public Uri? IpnUrl { get; private set; }

    /// <summary>When true, mobile-wallet payments succeed at once (000) instead of waiting for the payer (157).</summary>
    public bool WalletApprovesAtOnce { get; set; }

    /// <summary>When true, a second partial refund of one payment is refused with 451, as some JazzCash merchants see.</summary>
    public bool RefusesMultipleRefunds { get; set; }

    public JazzCashSimulator SendingIpnsTo(Uri url, Func<HttpClient>? client = null)
    {
        IpnUrl = url;
        if (client is not null) _client = client;
        return this;
    }

    public JazzCashOptions Options(string account) => new()
    {
        Account = account, MerchantId = MerchantId, Password = Password, IntegritySalt = IntegritySalt, MerchantMpin = MerchantMpin,
        ApiBaseUrl = BaseUrl, CheckoutUrl = new Uri(BaseUrl, CheckoutPath),
    };

    public Transaction? Find(string reference) => _transactions.GetValueOrDefault(reference);

    public int TransactionCount => _transactions.Count;

    // ---- the payer's side ----

    /// <summary>
    /// The payer finishes the hosted checkout: the transaction takes <paramref name="code"/> (000 paid, 112 cancelled …) and
    /// the signed fields JazzCash would post to the return URL are returned (the caller posts them, as the browser does).
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>> CompleteCheckout(string reference, string code = JazzCashCodes.Success, string type = "MWALLET")
    {
        Transaction transaction;
        lock (_gate)
        {
            transaction = _transactions.TryGetValue(reference, out var found) ? found : throw new KeyNotFoundException($"no transaction {reference}");
            transaction.Code = code;
            transaction.Type = type;
        }
        return ResultFields(transaction);
    }

    /// <summary>
    /// Posts fields as a form to a URL, as the payer's browser does; returns the HTTP status and the body, or for a
    /// redirect (which it does not follow) where it leads.
    /// </summary>
    public async Task<(int Status, string Body)> PostForm(Uri url, IEnumerable<KeyValuePair<string, string>> fields)
    {
        // The browser posts to JazzCash (this simulator) and to the hub: only the hub is reached through the hub's client.
        using var client = IpnUrl is not null && url.Authority == IpnUrl.Authority ? _client() : new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        using var response = await client.PostAsync(url, new FormUrlEncodedContent(fields));
        var status = (int)response.StatusCode;
        return (status, status is >= 300 and < 400 ? response.Headers.Location?.ToString() ?? "" : await response.Content.ReadAsStringAsync());
    }

    /// <summary>The payer approves a pending wallet payment with their MPIN: it succeeds and, with an IPN URL, the IPN is sent.</summary>
    public Task ApproveWallet(string reference, bool sendIpn = true) => SettleWallet(reference, JazzCashCodes.ConfirmedByMerchant, sendIpn);

    /// <summary>The payer does not approve (or the wallet lacks funds): the payment fails with <paramref name="code"/>.</summary>
    public Task DeclineWallet(string reference, string code = "999", bool sendIpn = true) => SettleWallet(reference, code, sendIpn);

    /// <summary>Sends the IPN for a transaction as it stands (again, for duplicate tests); returns the hub's status and body.</summary>
    public async Task<(int Status, string Body)> SendIpn(string reference)
    {
        if (IpnUrl is null) throw new InvalidOperationException("The simulator has no IPN URL: call SendingIpnsTo first");
        var transaction = _transactions[reference];
        using var client = _client();
        using var response = await client.PostAsync(IpnUrl, new StringContent(JsonSerializer.Serialize(ResultFields(transaction).ToDictionary(f => f.Key, f => f.Value)),
            System.Text.Encoding.UTF8, "application/json"));
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Sets a transaction's amount or code behind the hub's back, for reconciliation tests.</summary>
    public void Tamper(string reference, long? amount = null, string? code = null)
    {
        lock (_gate)
        {
            var transaction = _transactions[reference];
            if (amount is { } a) transaction.Amount = a;
            if (code is { } c) transaction.Code = c;
        }
    }

    async Task SettleWallet(string reference, string code, bool sendIpn)
    {
        lock (_gate)
            _transactions[reference].Code = code;
        if (sendIpn && IpnUrl is not null) await SendIpn(reference);
    }

    List<KeyValuePair<string, string>> ResultFields(Transaction transaction) => JazzCashSecureHash.Signed(
    [
        new("pp_Amount", transaction.Amount.ToString(CultureInfo.InvariantCulture)), new("pp_AuthCode", "A" + Math.Abs(transaction.Reference.GetHashCode() % 100000)),
        new("pp_BillReference", transaction.BillReference), new("pp_Language", "EN"), new("pp_MerchantID", MerchantId),
        new("pp_ResponseCode", transaction.Code), new("pp_ResponseMessage", Message(transaction.Code)),
        new("pp_RetreivalReferenceNo", "R" + transaction.Reference), new("pp_SubMerchantId", ""), new("pp_TxnCurrency", "PKR"),
        new("pp_TxnDateTime", DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(5)).ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture)),
        new("pp_TxnRefNo", transaction.Reference), new("pp_TxnType", transaction.Type), new("pp_Version", "1.1"),
        new("ppmpf_1", ""), new("ppmpf_2", ""),
    ], IntegritySalt);

    // ---- the API ----

    IResponseMessage Checkout(IRequestMessage request)
    {
        var fields = Form(SimulatedRequests.Form(SimulatedRequests.Body(request)));
        if (!Verified(fields))
            return SimulatedRequests.Html(200, "<html><body><h1>JazzCash</h1><p>115: Invalid hash received.</p></body></html>");
        if (Open(fields, fields.GetValueOrDefault("pp_TxnType") is { Length: > 0 } type ? type : "MWALLET", fields.GetValueOrDefault("pp_ReturnURL")) is { } refused)
            return SimulatedRequests.Html(200, $"<html><body><h1>JazzCash</h1><p>{refused}</p></body></html>");
        return SimulatedRequests.Html(200, $"<html><body><h1>JazzCash (simulated)</h1><p>Pay PKR {fields["pp_Amount"]} paisa for {fields["pp_BillReference"]}</p></body></html>");
    }

    IResponseMessage Wallet(IRequestMessage request)
    {
        var fields = JsonFields(request);
        if (fields is null || !Verified(fields)) return Unsigned(JazzCashCodes.InvalidHash, "Invalid hash received.");
        if (fields.GetValueOrDefault("pp_MobileNumber") is not { Length: 11 } mobile || !mobile.StartsWith("03", StringComparison.Ordinal) || !mobile.All(char.IsAsciiDigit))
            return Signed([new("pp_ResponseCode", "110"), new("pp_ResponseMessage", "Please provide valid value for pp_MobileNumber"), new("pp_TxnRefNo", fields.GetValueOrDefault("pp_TxnRefNo") ?? "")]);
        if (fields.GetValueOrDefault("pp_CNIC") is not { Length: 6 } cnic || !cnic.All(char.IsAsciiDigit))
            return Signed([new("pp_ResponseCode", "110"), new("pp_ResponseMessage", "Please provide valid value for pp_CNIC"), new("pp_TxnRefNo", fields.GetValueOrDefault("pp_TxnRefNo") ?? "")]);
        if (Open(fields, "MWALLET", null) is { } refused)
            return Signed([new("pp_ResponseCode", "999"), new("pp_ResponseMessage", refused), new("pp_TxnRefNo", fields["pp_TxnRefNo"]!)]);
        var transaction = _transactions[fields["pp_TxnRefNo"]!];
        if (WalletApprovesAtOnce) transaction.Code = JazzCashCodes.Success;
        return Signed([new("pp_Amount", transaction.Amount.ToString(CultureInfo.InvariantCulture)), new("pp_BillReference", transaction.BillReference),
            new("pp_ResponseCode", transaction.Code), new("pp_ResponseMessage", Message(transaction.Code)), new("pp_TxnRefNo", transaction.Reference),
            new("pp_TxnType", ""), new("pp_Version", ""), new("pp_RetreivalReferenceNo", "R" + transaction.Reference)]);
    }

    IResponseMessage Inquire(IRequestMessage request)
    {
        var fields = JsonFields(request);
        if (fields is null || !Verified(fields)) return Unsigned(JazzCashCodes.InvalidHash, "Invalid hash received.");
        if (fields.GetValueOrDefault("pp_TxnRefNo") is not { } reference || !_transactions.TryGetValue(reference, out var transaction))
            return Signed([new("pp_ResponseCode", JazzCashCodes.NoSuchTransaction), new("pp_ResponseMessage", "Transaction does not exist"),
                new("pp_TxnRefNo", fields.GetValueOrDefault("pp_TxnRefNo") ?? "")]);
        var status = JazzCashCodes.StateOf(transaction.Code) switch
        {
            PaymentState.Captured => "Completed",
            PaymentState.Pending => "Pending",
            _ => "Failed",
        };
        return Signed([new("pp_ResponseCode", JazzCashCodes.Success), new("pp_ResponseMessage", "Thank you for Using JazzCash, your operation successfully completed."),
            new("pp_PaymentResponseCode", transaction.Code), new("pp_PaymentResponseMessage", Message(transaction.Code)), new("pp_Status", status),
            new("pp_Amount", transaction.Amount.ToString(CultureInfo.InvariantCulture)), new("pp_TxnRefNo", transaction.Reference), new("pp_TxnType", transaction.Type),
            new("pp_RetrievalReferenceNo", "R" + transaction.Reference), new("pp_AuthCode", "A1")]);
    }

    IResponseMessage RefundCall(IRequestMessage request, bool card)
    {
        var body = SimulatedRequests.Body(request);
        Dictionary<string, string?>? fields;
        try
        {
            using var json = JsonDocument.Parse(body);
            var root = card && json.RootElement.TryGetProperty("RefundRequest", out var inner) ? inner : json.RootElement;
            fields = root.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : p.Value.GetRawText(), StringComparer.Ordinal);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            fields = null;
        }
        if (fields is null || !Verified(fields)) return Unsigned(JazzCashCodes.InvalidHash, "Invalid hash received.");
        if (!card && fields.GetValueOrDefault("pp_MerchantMPIN") != MerchantMpin)
            return Signed([new("pp_ResponseCode", "459"), new("pp_ResponseMessage", "Invalid MPIN")]);
        lock (_gate)
        {
            if (fields.GetValueOrDefault("pp_TxnRefNo") is not { } reference || !_transactions.TryGetValue(reference, out var transaction))
                return Signed([new("pp_ResponseCode", JazzCashCodes.NoSuchTransaction), new("pp_ResponseMessage", "Transaction does not exist")]);
            if (JazzCashCodes.StateOf(transaction.Code) != PaymentState.Captured)
                return Signed([new("pp_ResponseCode", "452"), new("pp_ResponseMessage", "Transaction is not eligible for refund")]);
            if (RefusesMultipleRefunds && transaction.Refunds > 0)
                return Signed([new("pp_ResponseCode", "451"), new("pp_ResponseMessage", "Multiple partial refunds are not allowed")]);
            if (!long.TryParse(fields.GetValueOrDefault("pp_Amount"), NumberStyles.None, CultureInfo.InvariantCulture, out var amount) || amount < 1
                || transaction.Refunded + amount > transaction.Amount)
                return Signed([new("pp_ResponseCode", "132"), new("pp_ResponseMessage", "Transaction cannot be refunded: amount exceeds the refundable amount")]);
            transaction.Refunded += amount;
            transaction.Refunds++;
            return Signed([new("pp_ResponseCode", JazzCashCodes.Success), new("pp_ResponseMessage", "Thank you for using JazzCash. Your transaction was processed successfully."),
                new("pp_RefundAmount", amount.ToString(CultureInfo.InvariantCulture)), new("pp_TotalRefundAmount", transaction.Refunded.ToString(CultureInfo.InvariantCulture))]);
        }
    }

    string? Open(Dictionary<string, string?> fields, string type, string? returnUrl)
    {
        if (fields.GetValueOrDefault("pp_MerchantID") != MerchantId || fields.GetValueOrDefault("pp_Password") != Password)
            return "101: Invalid merchant credentials";
        if (fields.GetValueOrDefault("pp_TxnRefNo") is not { Length: > 0 and <= 20 } reference)
            return "110: Please provide valid value for pp_TxnRefNo";
        if (!long.TryParse(fields.GetValueOrDefault("pp_Amount"), NumberStyles.None, CultureInfo.InvariantCulture, out var amount) || amount < 1)
            return "110: Please provide valid value for pp_Amount";
        if (fields.GetValueOrDefault("pp_TxnCurrency") != "PKR")
            return "110: Please provide valid value for pp_TxnCurrency";
        var transaction = new Transaction { Reference = reference, Amount = amount, Type = type, BillReference = fields.GetValueOrDefault("pp_BillReference") ?? "", ReturnUrl = returnUrl };
        return _transactions.TryAdd(reference, transaction) ? null : "999: Duplicate pp_TxnRefNo";
    }

    static bool Verified(Dictionary<string, string?> fields) => JazzCashSecureHash.Verify(fields, IntegritySalt);

    static Dictionary<string, string?>? JsonFields(IRequestMessage request)
    {
        try
        {
            using var json = JsonDocument.Parse(SimulatedRequests.Body(request));
            return json.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : p.Value.GetRawText(), StringComparer.Ordinal);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    static Dictionary<string, string?> Form(Dictionary<string, string> form) => form.ToDictionary(f => f.Key, f => (string?)f.Value, StringComparer.Ordinal);

    static IResponseMessage Signed(List<KeyValuePair<string, string>> fields) =>
        SimulatedRequests.Json(200, JazzCashSecureHash.Signed(fields, IntegritySalt).ToDictionary(f => f.Key, f => f.Value));

    static IResponseMessage Unsigned(string code, string message) =>
        SimulatedRequests.Json(200, new Dictionary<string, string> { ["pp_ResponseCode"] = code, ["pp_ResponseMessage"] = message });

    static string Message(string code) => code switch
    {
        JazzCashCodes.Success => "Thank you for Using JazzCash, your transaction was successful.",
        JazzCashCodes.ConfirmedByMerchant => "Transaction has been marked confirmed by Merchant.",
        JazzCashCodes.AwaitingPayer => "Transaction is pending.",
        JazzCashCodes.CancelledByUser => "Transaction cancelled by user.",
        _ => "Transaction failed.",
    };

    public void Dispose()
    {
        _server.Stop();
        _server.Dispose();
    }
}
