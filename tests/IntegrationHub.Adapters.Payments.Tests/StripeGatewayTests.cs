using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Adapters.Payments.Simulator;
using IntegrationHub.Adapters.Stripe;

namespace IntegrationHub.Adapters.Payments.Tests;

/// <summary>What only Stripe's adapter does: idempotency keys, its events, and bodies that are signed yet hostile.</summary>
public sealed class StripeGatewayTests(StripeUnderTest stripe) : IClassFixture<StripeUnderTest>
{
    readonly IPaymentGateway _gateway = stripe.Gateway;

    PaymentOrder Order(string? reference = null, long minor = 2500) => new(reference ?? "T" + Guid.NewGuid().ToString("N")[..19], new Money(minor, "USD"),
        "BILL7", "Permit fee", PaymentMethod.HostedCheckout, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddHours(1), null);

    [Fact]
    public async Task Create_repeated_with_one_reference_makes_one_intent()
    {
        var order = Order();

        var first = await _gateway.Create(order);
        var count = stripe.Simulator.IntentCount;
        var again = await _gateway.Create(order);

        Assert.Equal(first.GatewayId, again.GatewayId);
        Assert.Equal(count, stripe.Simulator.IntentCount);
        var secret = Assert.IsType<Checkout.ClientSecret>(again.Checkout);
        Assert.StartsWith(first.GatewayId + "_secret_", secret.Secret);
        Assert.Equal(StripeSimulator.PublishableKey, secret.PublishableKey);
    }

    [Fact]
    public async Task Currency_the_account_does_not_take_is_refused_before_any_call()
    {
        var count = stripe.Simulator.IntentCount;

        var refused = await Assert.ThrowsAsync<ExternalSystemException>(() => _gateway.Create(Order() with { Amount = new Money(100, "KWD") }));

        Assert.Equal(ExternalFailure.Invalid, refused.Kind);
        Assert.Equal(count, stripe.Simulator.IntentCount);
    }

    [Fact]
    public async Task Stale_event_is_refused_even_with_a_valid_signature()
    {
        var created = await _gateway.Create(Order());

        var refused = Assert.IsType<CallbackVerification.Refused>(_gateway.Verify(stripe.Callback("payment_intent.succeeded", created.GatewayId, DateTimeOffset.UtcNow.AddMinutes(-6))));

        Assert.Equal(401, refused.Status);
        Assert.Contains("older", refused.Reason);
    }

    [Fact]
    public async Task Event_signed_with_another_secret_is_refused()
    {
        var created = await _gateway.Create(Order());

        Assert.IsType<CallbackVerification.Refused>(_gateway.Verify(stripe.Callback("payment_intent.succeeded", created.GatewayId, secret: "whsec_someone_else")));
    }

    [Fact]
    public void Event_of_a_payment_made_outside_the_hub_is_verified_and_ignored()
    {
        var (body, signature) = stripe.Simulator.SignedEvent("payment_intent.succeeded", new JsonObject { ["id"] = "pi_elsewhere", ["status"] = "succeeded", ["metadata"] = new JsonObject() });

        var verified = Assert.IsType<CallbackVerification.Verified>(_gateway.Verify(Callback(body, signature)));

        Assert.Equal(CallbackKind.Ignored, verified.Kind);
    }

    [Fact]
    public async Task Refund_event_names_the_hub_refund()
    {
        var order = Order();
        var created = await _gateway.Create(order);
        await stripe.Simulator.Pay(created.GatewayId, EventDelivery.Lost);
        var refund = await _gateway.Refund(new RefundOrder("R1" + Guid.NewGuid().ToString("N")[..10], order.Reference, created.GatewayId, new Money(500, "USD"), null, "partial"));
        var (body, signature) = stripe.Simulator.SignedEvent("refund.updated", new JsonObject
        {
            ["id"] = refund.GatewayId, ["object"] = "refund", ["status"] = "succeeded", ["payment_intent"] = created.GatewayId,
            ["metadata"] = new JsonObject { [StripeGateway.RefundKey] = refund.Reference, [StripeGateway.ReferenceKey] = order.Reference },
        });

        var verified = Assert.IsType<CallbackVerification.Verified>(_gateway.Verify(Callback(body, signature)));

        Assert.Equal(CallbackKind.RefundEvent, verified.Kind);
        Assert.Equal((refund.Reference, RefundState.Completed), (verified.Refund!.Reference, verified.Refund.State));
        Assert.Equal(order.Reference, verified.Payment!.Reference);
    }

    [Fact]
    public async Task Refund_repeated_with_one_reference_refunds_once()
    {
        var order = Order(minor: 1000);
        var created = await _gateway.Create(order);
        await stripe.Simulator.Pay(created.GatewayId, EventDelivery.Lost);
        var refund = new RefundOrder("R" + Guid.NewGuid().ToString("N")[..10], order.Reference, created.GatewayId, new Money(700, "USD"), null, "once");

        var first = await _gateway.Refund(refund);
        var again = await _gateway.Refund(refund);
        var rest = await _gateway.Refund(refund with { Reference = "R" + Guid.NewGuid().ToString("N")[..10], Amount = new Money(300, "USD") });

        Assert.Equal(first.GatewayId, again.GatewayId);
        Assert.Equal(RefundState.Completed, rest.State); // 700 refunded once, so 300 remain
    }

    public static TheoryData<string> SignedHostileBodies =>
    [
        "", "null", "[]", "{}", """{"id":"evt_1"}""", """{"id":"evt_1","type":"payment_intent.succeeded","data":{"object":"x"}}""",
        """{"id":"evt_1","type":"payment_intent.succeeded","data":{"object":{"metadata":{"hub_reference":"T1"},"amount":1e400,"currency":"usd"}}}""",
        """{"id":"evt_1","type":"payment_intent.succeeded","data":{"object":{"metadata":{"hub_reference":"T1"},"amount":-5,"currency":"usd"}}}""",
        """{"id":"evt_1","type":"payment_intent.succeeded","data":{"object":{"metadata":{"hub_reference":"T1"},"amount":5,"currency":"zzz"}}}""",
        "{\"id\":\"evt\u0000\",\"type\":\"x\"}", new string('{', 100),
    ];

    [Theory]
    [MemberData(nameof(SignedHostileBodies))]
    public void Signed_but_hostile_event_is_refused_or_read_safely_never_thrown(string json)
    {
        var body = Encoding.UTF8.GetBytes(json);
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        var verification = _gateway.Verify(Callback(body, StripeSignature.HeaderFor(StripeSimulator.WebhookSecret, now, body)));

        if (verification is CallbackVerification.Verified { Payment: { } payment })
            Assert.Null(payment.Amount); // an amount that is not a valid one is never read as money
        else
            Assert.True(verification is CallbackVerification.Refused { Status: 400 } or CallbackVerification.Verified, verification.ToString());
    }

    static GatewayCallback Callback(byte[] body, string signature) =>
        new(body, "application/json", new Dictionary<string, string> { [StripeSignature.Header] = signature }, DateTimeOffset.UtcNow);
}
