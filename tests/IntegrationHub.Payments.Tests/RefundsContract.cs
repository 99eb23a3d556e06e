using System.Net;
using System.Text.Json.Nodes;
using IntegrationHub.Payments.Development;
using IntegrationHub.Testing;

namespace IntegrationHub.Payments.Tests;

/// <summary>Refunds as departments ask for them, and as the hub's overpayment policy makes them: never more than was captured.</summary>
public abstract class RefundsContract<THub>(THub hub) : IClassFixture<THub> where THub : PaymentsHub
{
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    async Task<string> Captured(string amount, string currency = "USD")
    {
        var (_, bill) = await hub.Post("/api/v1/bills", $$"""
            {"reference":"RF{{Random.Shared.Next(100000, 999999)}}","currency":"{{currency}}","payer":{"name":"Bilal"},"items":[{"description":"Fee","amount":"{{amount}}"}]}
            """);
        var (_, payment) = await hub.Post("/api/v1/payments", $$"""{"billId":"{{bill!["id"]}}","account":"{{DemoPayments.StripeAccount}}"}""");
        var id = payment!["id"]!.GetValue<string>();
        var awaiting = await Until($"/api/v1/payments/{id}", "awaiting-payment");
        await hub.Stripe.Pay(hub.Stripe.IntentFor(awaiting["reference"]!.GetValue<string>())!);
        await Until($"/api/v1/payments/{id}", "captured");
        return id;
    }

    async Task<JsonNode> Until(string path, params string[] statuses)
    {
        JsonNode? last = null;
        await Eventually.Until(async () =>
        {
            var (response, body) = await hub.Get(path);
            last = body;
            return response.StatusCode == HttpStatusCode.OK && statuses.Contains(body!["status"]!.GetValue<string>());
        }, Wait, $"{path} {string.Join(" or ", statuses)}");
        return last!;
    }

    Task<(HttpResponseMessage Response, JsonNode? Body)> Refund(string paymentId, string? amount, string? key = null) =>
        hub.Post($"/api/v1/payments/{paymentId}/refunds", amount is null ? """{"reason":"requested"}""" : $$"""{"amount":"{{amount}}","reason":"requested"}""",
            idempotencyKey: key);

    async Task<string> Completed((HttpResponseMessage Response, JsonNode? Body) answer)
    {
        Assert.Equal(HttpStatusCode.Accepted, answer.Response.StatusCode);
        var id = answer.Body!["id"]!.GetValue<string>();
        return (await Until($"/api/v1/payments/refunds/{id}", "completed", "failed", "unknown"))["status"]!.GetValue<string>();
    }

    [Fact]
    public async Task Partial_refunds_add_up_and_never_exceed_the_capture()
    {
        var payment = await Captured("100.00");

        Assert.Equal("completed", await Completed(await Refund(payment, "40.00")));
        Assert.Equal("completed", await Completed(await Refund(payment, "60.00")));
        var (beyond, _) = await Refund(payment, "0.01");

        Assert.Equal(HttpStatusCode.Conflict, beyond.StatusCode);
        var intent = hub.Stripe.Intent(hub.Stripe.IntentFor((await hub.Get($"/api/v1/payments/{payment}")).Body!["reference"]!.GetValue<string>())!)!;
        Assert.Equal(10000, intent["amount_refunded_sim"]!.GetValue<long>());
    }

    [Fact]
    public async Task Refund_of_everything_left_is_the_default()
    {
        var payment = await Captured("12.34");

        Assert.Equal("completed", await Completed(await Refund(payment, null)));

        Assert.Equal(HttpStatusCode.Conflict, (await Refund(payment, null)).Response.StatusCode);
    }

    [Fact]
    public async Task Concurrent_refunds_racing_never_refund_more_than_was_captured()
    {
        var payment = await Captured("10.00");

        var answers = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => Refund(payment, "4.00")));

        var outcomes = new List<string>();
        foreach (var answer in answers.Where(a => a.Response.StatusCode == HttpStatusCode.Accepted))
            outcomes.Add(await Completed(answer));
        Assert.All(answers, a => Assert.True(a.Response.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.Conflict, a.Response.StatusCode.ToString()));
        Assert.Equal(2, outcomes.Count(o => o == "completed"));
        var intent = hub.Stripe.Intent(hub.Stripe.IntentFor((await hub.Get($"/api/v1/payments/{payment}")).Body!["reference"]!.GetValue<string>())!)!;
        Assert.Equal(800, intent["amount_refunded_sim"]!.GetValue<long>());
    }

    [Fact]
    public async Task Refund_repeated_with_its_idempotency_key_refunds_once()
    {
        var payment = await Captured("9.00");
        var key = Guid.NewGuid().ToString();

        var first = await Refund(payment, "3.00", key);
        var again = await Refund(payment, "3.00", key);

        Assert.Equal(first.Body!["id"]!.GetValue<string>(), again.Body!["id"]!.GetValue<string>());
        Assert.Equal("completed", await Completed(first));
        Assert.Equal("completed", await Completed(await Refund(payment, "6.00"))); // 3.00 refunded once, so 6.00 remain
    }

    [Fact]
    public async Task Money_beyond_the_bill_is_refunded_to_the_payer_by_default()
    {
        var (_, bill) = await hub.Post("/api/v1/bills", """{"reference":"OVER1","currency":"PKR","payer":{"name":"Zara"},"items":[{"description":"Fee","amount":"100.00"}]}""");
        var (_, created) = await hub.Post("/api/v1/payments",
            $$$"""{"billId":"{{{bill!["id"]}}}","account":"{{{DemoPayments.JazzCashAccount}}}","method":"mobile-wallet","payer":{"mobile":"03123456789","cnicLast6":"345678"}}""");
        var id = created!["id"]!.GetValue<string>();
        var reference = (await Until($"/api/v1/payments/{id}", "awaiting-payment"))["reference"]!.GetValue<string>();
        hub.JazzCash.Tamper(reference, amount: 15000); // the wallet took 150.00 for a bill of 100.00

        await hub.JazzCash.ApproveWallet(reference);

        var captured = await Until($"/api/v1/payments/{id}", "captured");
        Assert.Contains("amount_mismatch", captured.ToJsonString());
        var receipt = (await hub.Get($"/api/v1/payments/{id}/receipt")).Body!;
        Assert.Equal("150.00", receipt["amount"]!.GetValue<string>());
        Assert.Equal("150.00", Assert.Single(receipt["items"]!.AsArray())!["amount"]!.GetValue<string>()); // what was received, not the bill's lines
        await Eventually.Until(() => hub.JazzCash.Find(reference)!.Refunded == 5000, Wait, "the 50.00 beyond the bill refunded");
        await Eventually.Until(async () => (await hub.Get($"/api/v1/bills/{bill["id"]}")).Body!["paid"]!.GetValue<string>() == "100.00", Wait, "the bill paid, not overpaid");
    }

    [Fact]
    public async Task Refund_of_a_payment_not_captured_or_of_another_department_is_refused()
    {
        var (_, bill) = await hub.Post("/api/v1/bills", """{"reference":"NOTPAID","currency":"USD","payer":{"name":"N"},"items":[{"description":"Fee","amount":"1.00"}]}""");
        var (_, created) = await hub.Post("/api/v1/payments", $$"""{"billId":"{{bill!["id"]}}","account":"{{DemoPayments.StripeAccount}}"}""");
        var pending = created!["id"]!.GetValue<string>();
        await Until($"/api/v1/payments/{pending}", "awaiting-payment");
        var captured = await Captured("2.00");

        Assert.Equal(HttpStatusCode.Conflict, (await Refund(pending, null)).Response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound,
            (await hub.Post($"/api/v1/payments/{captured}/refunds", """{"reason":"x"}""", hub.Token(PaymentsHub.Other))).Response.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Refund(captured, "2.001")).Response.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await hub.Post($"/api/v1/payments/{captured}/refunds", """{"amount":"1.00"}""")).Response.StatusCode);
    }
}

public sealed class InMemoryRefundsContract(InMemoryPaymentsHub hub) : RefundsContract<InMemoryPaymentsHub>(hub);

public sealed class DurableRefundsContract(DurablePaymentsHub hub) : RefundsContract<DurablePaymentsHub>(hub);
