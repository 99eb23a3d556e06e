using System.Text;
using System.Text.Json;
using IntegrationHub.Adapters.JazzCash;
using IntegrationHub.Adapters.Payments.Simulator;

namespace IntegrationHub.Adapters.Payments.Tests;

/// <summary>What only JazzCash's adapter does: paisa, Pakistan time, the wallet's approval on the phone, IPN replies.</summary>
public sealed class JazzCashGatewayTests(JazzCashUnderTest jazz) : IClassFixture<JazzCashUnderTest>
{
    readonly IPaymentGateway _gateway = jazz.Gateway;
    static readonly DateTimeOffset Created = new(2026, 7, 1, 19, 30, 0, TimeSpan.Zero);

    PaymentOrder Order(PaymentMethod method = PaymentMethod.HostedCheckout, WalletPayer? payer = null) =>
        new("T" + Guid.NewGuid().ToString("N")[..19], new Money(150050, "PKR"), "CHALLAN42", "Licence fee", method, Created, Created.AddDays(1),
            new Uri("https://hub.example/api/v1/payments/callbacks/jazzcash/dept-a"), payer);

    [Fact]
    public async Task Checkout_form_carries_paisa_pakistan_time_and_a_hash_the_gateway_accepts()
    {
        var created = await _gateway.Create(Order());

        var form = Assert.IsType<Checkout.AutoPostForm>(created.Checkout);
        var fields = form.Fields.ToDictionary(f => f.Key, f => (string?)f.Value);
        Assert.Equal("150050", fields["pp_Amount"]);
        Assert.Equal("20260702003000", fields["pp_TxnDateTime"]); // 19:30 UTC is 00:30 the next day in Pakistan
        Assert.Equal("20260703003000", fields["pp_TxnExpiryDateTime"]);
        Assert.True(JazzCashSecureHash.Verify(fields, JazzCashSimulator.IntegritySalt));
        var (_, page) = await jazz.Simulator.PostForm(form.Action, form.Fields);
        Assert.Contains("Pay PKR", page);
    }

    [Fact]
    public async Task Currency_other_than_pkr_is_refused()
    {
        var refused = await Assert.ThrowsAsync<ExternalSystemException>(() => _gateway.Create(Order() with { Amount = new Money(100, "USD") }));

        Assert.Equal(ExternalFailure.Invalid, refused.Kind);
    }

    [Fact]
    public async Task Wallet_payment_waits_for_the_payer_then_is_captured()
    {
        var order = Order(PaymentMethod.MobileWallet, new WalletPayer("03123456789", "345678"));

        var created = await _gateway.Create(order);
        Assert.Equal(PaymentState.Pending, created.Payment.State);
        Assert.IsType<Checkout.ApproveOnPhone>(created.Checkout);
        Assert.Equal(PaymentState.Pending, (await _gateway.Status(order.Reference, null)).State);

        await jazz.Simulator.ApproveWallet(order.Reference, sendIpn: false);

        var status = await _gateway.Status(order.Reference, null);
        Assert.Equal((PaymentState.Captured, new Money(150050, "PKR"), "MWALLET"), (status.State, status.Amount!.Value, status.Instrument));
    }

    [Fact]
    public async Task Wallet_payment_with_a_bad_number_fails_with_the_gateway_code()
    {
        var created = await _gateway.Create(Order(PaymentMethod.MobileWallet, new WalletPayer("0312", "345678")));

        Assert.Equal((PaymentState.Failed, "110"), (created.Payment.State, created.Payment.Code));
    }

    [Fact]
    public async Task Wallet_payment_is_refunded_with_the_merchant_mpin()
    {
        var order = Order(PaymentMethod.MobileWallet, new WalletPayer("03123456789", "345678"));
        await _gateway.Create(order);
        await jazz.Simulator.ApproveWallet(order.Reference, sendIpn: false);

        var refund = await _gateway.Refund(new RefundOrder("R1", order.Reference, null, new Money(50, "PKR"), "MWALLET", "overpaid"));

        Assert.Equal(RefundState.Completed, refund.State);
        Assert.Equal(50, jazz.Simulator.Find(order.Reference)!.Refunded);
    }

    [Fact]
    public async Task Ipn_is_verified_and_answered_with_a_signed_acknowledgement()
    {
        var order = Order();
        var created = await _gateway.Create(order);
        var form = Assert.IsType<Checkout.AutoPostForm>(created.Checkout);
        await jazz.Simulator.PostForm(form.Action, form.Fields);
        var result = jazz.Simulator.CompleteCheckout(order.Reference);
        var ipn = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(result.ToDictionary(f => f.Key, f => f.Value)));

        var verified = Assert.IsType<CallbackVerification.Verified>(_gateway.Verify(new GatewayCallback(ipn, "application/json; charset=utf-8",
            new Dictionary<string, string>(), DateTimeOffset.UtcNow)));

        Assert.Equal((CallbackKind.PaymentEvent, PaymentState.Captured), (verified.Kind, verified.Payment!.State));
        var reply = JsonSerializer.Deserialize<Dictionary<string, string?>>(verified.Reply!.Body)!;
        Assert.Equal("000", reply["pp_ResponseCode"]);
        Assert.True(JazzCashSecureHash.Verify(reply, JazzCashSimulator.IntegritySalt));
    }

    [Fact]
    public void Return_post_of_another_merchant_is_refused_even_when_signed_with_this_salt()
    {
        var fields = JazzCashSecureHash.Signed([new("pp_MerchantID", "MC99999"), new("pp_TxnRefNo", "T1"), new("pp_ResponseCode", "000"), new("pp_Amount", "100")],
            JazzCashSimulator.IntegritySalt);

        var refused = Assert.IsType<CallbackVerification.Refused>(_gateway.Verify(Form(fields)));

        Assert.Equal(401, refused.Status);
    }

    [Fact]
    public void Return_post_with_a_field_twice_is_refused()
    {
        var fields = JazzCashSecureHash.Signed([new("pp_TxnRefNo", "T1"), new("pp_ResponseCode", "000")], JazzCashSimulator.IntegritySalt);
        fields.Add(new("pp_ResponseCode", "121"));

        Assert.IsType<CallbackVerification.Refused>(_gateway.Verify(Form(fields)));
    }

    [Fact]
    public void Ipn_with_a_field_twice_is_refused()
    {
        var signed = JazzCashSecureHash.Signed([new("pp_TxnRefNo", "T1"), new("pp_ResponseCode", "124")], JazzCashSimulator.IntegritySalt);
        var json = "{" + string.Join(",", signed.Select(f => $"\"{f.Key}\":\"{f.Value}\"")) + ",\"pp_ResponseCode\":\"000\"}";

        var refused = Assert.IsType<CallbackVerification.Refused>(_gateway.Verify(new GatewayCallback(Encoding.UTF8.GetBytes(json), "application/json",
            new Dictionary<string, string>(), DateTimeOffset.UtcNow)));

        Assert.Equal(400, refused.Status);
    }

    [Fact]
    public async Task Request_refused_for_its_hash_is_a_configuration_failure_not_a_payment_state()
    {
        var other = new JazzCashGateway(new JazzCashOptions
        {
            Account = "x", MerchantId = JazzCashSimulator.MerchantId, Password = JazzCashSimulator.Password, IntegritySalt = "another-salt",
            ApiBaseUrl = jazz.Simulator.BaseUrl,
        }, new HttpClient());

        var refused = await Assert.ThrowsAsync<ExternalSystemException>(() => other.Status("T1", null));

        Assert.Equal(ExternalFailure.Unauthorized, refused.Kind);
        Assert.Contains("115", refused.Message);
    }

    static GatewayCallback Form(IEnumerable<KeyValuePair<string, string>> fields) =>
        new(Encoding.UTF8.GetBytes(new FormUrlEncodedContent(fields).ReadAsStringAsync().Result), "application/x-www-form-urlencoded",
            new Dictionary<string, string>(), DateTimeOffset.UtcNow);
}
