using System.Text;
using IntegrationHub.Adapters.JazzCash;
using IntegrationHub.Adapters.Payments.Simulator;
using IntegrationHub.Adapters.Stripe;

namespace IntegrationHub.Adapters.Payments.Tests;

/// <summary>A gateway adapter and its simulator, as the contract drives them.</summary>
public interface IGatewayUnderTest : IDisposable
{
    IPaymentGateway Gateway { get; }

    string Currency { get; }

    /// <summary>The payer pays; returns the callback the gateway sends about it, signed (not delivered).</summary>
    Task<GatewayCallback> Pay(CreatedPayment created);

    /// <summary>The payer's attempt fails; returns the gateway's callback about it.</summary>
    Task<GatewayCallback> Decline(CreatedPayment created);

    /// <summary>Changes the gateway's record of the payment behind the hub's back.</summary>
    void Tamper(CreatedPayment created, long amount);
}

/// <summary>
/// What the payment saga relies on from every gateway adapter, run on each against its simulator (Rebus.Tests.Contracts
/// style): orders created pending and captured when paid, callbacks verified before they are read, refunds never above
/// what was captured, and reconciliation seeing what the gateway holds.
/// </summary>
public abstract class PaymentGatewayContract<TGateway>(TGateway under) : IClassFixture<TGateway>
    where TGateway : class, IGatewayUnderTest
{
    static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    protected IPaymentGateway Gateway => under.Gateway;

    protected PaymentOrder Order(long minor = 150000) => new(NewReference(), new Money(minor, under.Currency), "BILL1001", "Driving licence fee",
        PaymentMethod.HostedCheckout, Now, Now.AddHours(24), new Uri("https://hub.example/api/v1/payments/return/test"));

    protected static string NewReference() => "T" + Guid.NewGuid().ToString("N")[..19].ToUpperInvariant();

    [Fact]
    public async Task Created_payment_is_pending_and_says_what_the_payer_needs()
    {
        var order = Order();

        var created = await Gateway.Create(order);

        Assert.Equal(PaymentState.Pending, created.Payment.State);
        Assert.Equal(order.Amount, created.Payment.Amount);
        Assert.NotNull(created.Checkout);
        // JazzCash learns of a hosted order only when the payer's browser posts it: until then an inquiry finds nothing.
        Assert.Contains((await Gateway.Status(order.Reference, created.GatewayId)).State, new[] { PaymentState.Pending, PaymentState.NotFound });
    }

    [Fact]
    public async Task Paid_payment_is_captured_in_its_callback_and_its_status()
    {
        var order = Order(123456);
        var created = await Gateway.Create(order);

        var callback = await under.Pay(created);
        var verified = Assert.IsType<CallbackVerification.Verified>(Gateway.Verify(callback));
        var status = await Gateway.Status(order.Reference, created.GatewayId);

        Assert.Equal(order.Reference, verified.Payment!.Reference);
        Assert.Equal(PaymentState.Captured, verified.Payment.State);
        Assert.Equal(new Money(123456, under.Currency), verified.Payment.Amount);
        Assert.Equal(PaymentState.Captured, status.State);
        Assert.Equal(new Money(123456, under.Currency), status.Amount);
    }

    [Fact]
    public async Task Declined_payment_is_failed_in_its_callback()
    {
        var created = await Gateway.Create(Order());

        var verified = Assert.IsType<CallbackVerification.Verified>(Gateway.Verify(await under.Decline(created)));

        Assert.Equal(PaymentState.Failed, verified.Payment!.State);
    }

    [Fact]
    public async Task The_same_callback_verifies_to_the_same_event_id()
    {
        var created = await Gateway.Create(Order());
        var callback = await under.Pay(created);

        var first = Assert.IsType<CallbackVerification.Verified>(Gateway.Verify(callback));
        var again = Assert.IsType<CallbackVerification.Verified>(Gateway.Verify(callback with { ReceivedAt = callback.ReceivedAt.AddSeconds(5) }));

        Assert.Equal(first.EventId, again.EventId);
    }

    [Fact]
    public async Task Tampered_callback_is_refused_as_unauthenticated()
    {
        var created = await Gateway.Create(Order(1000));
        var callback = await under.Pay(created);
        var text = Encoding.UTF8.GetString(callback.Body);
        var tampered = callback with { Body = Encoding.UTF8.GetBytes(text.Replace("1000", "9000", StringComparison.Ordinal)) };
        Assert.NotEqual(text, Encoding.UTF8.GetString(tampered.Body));

        var refused = Assert.IsType<CallbackVerification.Refused>(Gateway.Verify(tampered));

        Assert.Equal(401, refused.Status);
    }

    public static TheoryData<string, byte[]> HostileBodies => new()
    {
        { "empty", [] },
        { "invalid UTF-8", [0xC3, 0x28, 0xA0, 0xA1, 0xFF] },
        { "NULs", Encoding.UTF8.GetBytes("pp_TxnRefNo=T1\0&pp_SecureHash=\0\0") },
        { "huge number", Encoding.UTF8.GetBytes("""{"id":"evt_1","type":"payment_intent.succeeded","pp_Amount":1e999999,"data":{"object":{"amount":99999999999999999999999}}}""") },
        { "deep JSON", Encoding.UTF8.GetBytes(new string('[', 5000) + new string(']', 5000)) },
        { "not JSON", Encoding.UTF8.GetBytes("<xml/>") },
    };

    [Theory]
    [MemberData(nameof(HostileBodies))]
    public void Hostile_callback_is_refused_never_thrown(string what, byte[] body)
    {
        foreach (var contentType in new[] { "application/json", "application/x-www-form-urlencoded", null, "text/plain" })
        {
            var verification = Gateway.Verify(new GatewayCallback(body, contentType,
                new Dictionary<string, string> { [StripeSignature.Header] = "t=1,v1=" + new string('a', 64) }, DateTimeOffset.UtcNow));
            var refused = Assert.IsType<CallbackVerification.Refused>(verification);
            Assert.True(refused.Status is 400 or 401, $"{what} as {contentType}: {refused.Status}");
        }
    }

    [Fact]
    public async Task Partial_refunds_add_up_and_never_exceed_the_capture()
    {
        var order = Order(10000);
        var created = await Gateway.Create(order);
        await under.Pay(created);
        var payment = await Gateway.Status(order.Reference, created.GatewayId);

        var first = await Gateway.Refund(new RefundOrder(NewReference(), order.Reference, created.GatewayId, new Money(4000, under.Currency), payment.Instrument, "partial"));
        var second = await Gateway.Refund(new RefundOrder(NewReference(), order.Reference, created.GatewayId, new Money(6000, under.Currency), payment.Instrument, "rest"));
        var beyond = await Gateway.Refund(new RefundOrder(NewReference(), order.Reference, created.GatewayId, new Money(1, under.Currency), payment.Instrument, "too much"));

        Assert.Equal(RefundState.Completed, first.State);
        Assert.Equal(RefundState.Completed, second.State);
        Assert.Equal(RefundState.Failed, beyond.State);
    }

    [Fact]
    public async Task Refund_of_an_unpaid_payment_fails()
    {
        var order = Order();
        var created = await Gateway.Create(order);

        var refund = await Gateway.Refund(new RefundOrder(NewReference(), order.Reference, created.GatewayId, order.Amount, null, "never paid"));

        Assert.Equal(RefundState.Failed, refund.State);
    }

    [Fact]
    public async Task Reconciliation_lists_what_the_gateway_holds_including_a_planted_mismatch()
    {
        var from = DateTimeOffset.UtcNow.AddMinutes(-1);
        var paid = await Gateway.Create(Order(5000));
        await under.Pay(paid);
        var tampered = await Gateway.Create(Order(7000));
        await under.Pay(tampered);
        under.Tamper(tampered, 7001);
        var to = DateTimeOffset.UtcNow.AddMinutes(1);

        var listed = await Gateway.List(from, to, [paid.Payment.Reference, tampered.Payment.Reference]);

        var one = Assert.Single(listed, p => p.Reference == paid.Payment.Reference);
        Assert.Equal((PaymentState.Captured, new Money(5000, under.Currency)), (one.State, one.Amount!.Value));
        Assert.Equal(new Money(7001, under.Currency), Assert.Single(listed, p => p.Reference == tampered.Payment.Reference).Amount);
    }

    [Fact]
    public async Task Unknown_payment_is_not_found()
    {
        var status = await Gateway.Status(NewReference(), "pi_sim_doesnotexist00000000");

        Assert.Equal(PaymentState.NotFound, status.State);
    }
}

public sealed class StripeUnderTest : IGatewayUnderTest
{
    readonly StripeSimulator _simulator = StripeSimulator.Start();
    readonly HttpClient _http = new();

    public StripeUnderTest() => Gateway = new StripeGateway(_simulator.Options("dept-a"), _http);

    public IPaymentGateway Gateway { get; }

    public string Currency => "USD";

    public StripeSimulator Simulator => _simulator;

    public async Task<GatewayCallback> Pay(CreatedPayment created)
    {
        await _simulator.Pay(created.GatewayId, EventDelivery.Lost);
        return Callback("payment_intent.succeeded", created.GatewayId);
    }

    public async Task<GatewayCallback> Decline(CreatedPayment created)
    {
        await _simulator.Decline(created.GatewayId, EventDelivery.Lost);
        return Callback("payment_intent.payment_failed", created.GatewayId);
    }

    public void Tamper(CreatedPayment created, long amount) => _simulator.Tamper(created.GatewayId, amount);

    public GatewayCallback Callback(string type, string intentId, DateTimeOffset? at = null, string secret = StripeSimulator.WebhookSecret)
    {
        var (body, signature) = _simulator.SignedEvent(type, _simulator.Intent(intentId)!, at, secret);
        return new GatewayCallback(body, "application/json", new Dictionary<string, string> { [StripeSignature.Header] = signature }, DateTimeOffset.UtcNow);
    }

    public void Dispose()
    {
        _simulator.Dispose();
        _http.Dispose();
    }
}

public sealed class JazzCashUnderTest : IGatewayUnderTest
{
    readonly JazzCashSimulator _simulator = JazzCashSimulator.Start();
    readonly HttpClient _http = new();

    public JazzCashUnderTest() => Gateway = new JazzCashGateway(_simulator.Options("dept-a"), _http);

    public IPaymentGateway Gateway { get; }

    public string Currency => "PKR";

    public JazzCashSimulator Simulator => _simulator;

    public async Task<GatewayCallback> Pay(CreatedPayment created) => await Checkout(created, JazzCashCodes.Success);

    public async Task<GatewayCallback> Decline(CreatedPayment created) => await Checkout(created, JazzCashCodes.CancelledByUser);

    async Task<GatewayCallback> Checkout(CreatedPayment created, string code)
    {
        // The payer's browser posts the hub's form to JazzCash, pays, and JazzCash posts the result back.
        var form = Assert.IsType<Checkout.AutoPostForm>(created.Checkout);
        var (status, page) = await _simulator.PostForm(form.Action, form.Fields);
        Assert.Equal(200, status);
        Assert.DoesNotContain("115", page);
        var result = _simulator.CompleteCheckout(created.GatewayId, code);
        return new GatewayCallback(Encoding.UTF8.GetBytes(new FormUrlEncodedContent(result).ReadAsStringAsync().Result), "application/x-www-form-urlencoded",
            new Dictionary<string, string>(), DateTimeOffset.UtcNow);
    }

    public void Tamper(CreatedPayment created, long amount) => _simulator.Tamper(created.GatewayId, amount);

    public void Dispose()
    {
        _simulator.Dispose();
        _http.Dispose();
    }
}

public sealed class StripeGatewayContract(StripeUnderTest under) : PaymentGatewayContract<StripeUnderTest>(under);

public sealed class JazzCashGatewayContract(JazzCashUnderTest under) : PaymentGatewayContract<JazzCashUnderTest>(under);
