using System.Net;
using System.Text.Json.Nodes;
using IntegrationHub.Hosting.Security;
using IntegrationHub.Payments.Development;
using IntegrationHub.Testing;

namespace IntegrationHub.Payments.Tests;

/// <summary>Reconciliation finds every mismatch planted at the gateways, and nothing where they agree.</summary>
public abstract class ReconciliationContract<THub>(THub hub) : IClassFixture<THub> where THub : PaymentsHub
{
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    async Task<(string Id, string Reference, DateTimeOffset At)> Payment(string account, string amount, string currency, string extra = "")
    {
        var (_, created) = await hub.Post("/api/v1/payments", $$"""{"amount":"{{amount}}","currency":"{{currency}}","account":"{{account}}"{{extra}}}""");
        var id = created!["id"]!.GetValue<string>();
        var status = await Until(id, "awaiting-payment");
        return (id, status["reference"]!.GetValue<string>(), status["acceptedAt"]!.GetValue<DateTimeOffset>());
    }

    async Task<JsonNode> Until(string paymentId, string status)
    {
        JsonNode? last = null;
        await Eventually.Until(async () =>
        {
            var (response, body) = await hub.Get($"/api/v1/payments/{paymentId}");
            last = body;
            return response.StatusCode == HttpStatusCode.OK && body!["status"]!.GetValue<string>() == status;
        }, Wait, $"payment {paymentId} {status}");
        return last!;
    }

    /// <summary>Runs the account's reconciliation of each day the payments were made on (two when they straddle midnight).</summary>
    async Task<List<JsonNode>> Reconcile(string account, params DateTimeOffset[] when)
    {
        var ops = hub.Token(PaymentsHub.Department, HubScopes.Ops);
        var mismatches = new List<JsonNode>();
        foreach (var day in when.Select(w => w.UtcDateTime.ToString("yyyy-MM-dd")).Distinct())
        {
            var (started, runs) = await hub.Post("/api/v1/payments/reconciliations", $$"""{"date":"{{day}}","account":"{{account}}"}""", ops);
            Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
            var runId = runs!.AsArray().Single()!.GetValue<string>();
            JsonNode? report = null;
            await Eventually.Until(async () =>
            {
                var (response, body) = await hub.Get($"/api/v1/payments/reconciliations/{runId}", ops);
                report = body;
                return response.StatusCode == HttpStatusCode.OK && body!["finishedAt"] is not null;
            }, Wait, $"reconciliation {runId}");
            Assert.Null(report!["error"]);
            mismatches.AddRange(report["mismatches"]!.AsArray().Select(m => m!));
        }
        return mismatches;
    }

    [Fact]
    public async Task Every_planted_stripe_mismatch_is_found_and_nothing_else()
    {
        var good = await Payment(DemoPayments.StripeAccount, "10.00", "USD");
        var wrongAmount = await Payment(DemoPayments.StripeAccount, "11.00", "USD");
        var vanished = await Payment(DemoPayments.StripeAccount, "12.00", "USD");
        var refundedBehindTheHub = await Payment(DemoPayments.StripeAccount, "13.00", "USD");
        foreach (var p in new[] { good, wrongAmount, vanished, refundedBehindTheHub })
        {
            await hub.Stripe.Pay(hub.Stripe.IntentFor(p.Reference)!);
            await Until(p.Id, "captured");
        }
        hub.Stripe.Tamper(hub.Stripe.IntentFor(wrongAmount.Reference)!, amount: 1150);
        hub.Stripe.Forget(hub.Stripe.IntentFor(vanished.Reference)!);
        hub.Stripe.Tamper(hub.Stripe.IntentFor(refundedBehindTheHub.Reference)!, status: "canceled");
        var stranger = "X" + Guid.NewGuid().ToString("N")[..19];
        hub.Stripe.Elsewhere(999, "usd", stranger);

        var found = await Reconcile(DemoPayments.StripeAccount, good.At, refundedBehindTheHub.At, DateTimeOffset.UtcNow);

        string KindOf(string reference) => Assert.Single(found, m => m["reference"]!.GetValue<string>() == reference)!["kind"]!.GetValue<string>();
        Assert.Equal("amount_mismatch", KindOf(wrongAmount.Reference));
        Assert.Equal("missing_at_gateway", KindOf(vanished.Reference));
        Assert.Equal("status_mismatch", KindOf(refundedBehindTheHub.Reference));
        Assert.Equal("missing_at_hub", KindOf(stranger));
        Assert.DoesNotContain(found, m => m["reference"]!.GetValue<string>() == good.Reference);
        var amount = Assert.Single(found, m => m["reference"]!.GetValue<string>() == wrongAmount.Reference)!;
        Assert.Equal((1100, 1150), (amount["hubAmountMinor"]!.GetValue<long>(), amount["gatewayAmountMinor"]!.GetValue<long>()));
    }

    [Fact]
    public async Task Jazzcash_payments_are_checked_one_inquiry_each()
    {
        const string wallet = ""","method":"mobile-wallet","payer":{"mobile":"03123456789","cnicLast6":"345678"}""";
        var good = await Payment(DemoPayments.JazzCashAccount, "100.00", "PKR", wallet);
        var wrongAmount = await Payment(DemoPayments.JazzCashAccount, "200.00", "PKR", wallet);
        var paidBehindTheHub = await Payment(DemoPayments.JazzCashAccount, "300.00", "PKR", wallet);
        foreach (var p in new[] { good, wrongAmount })
        {
            await hub.JazzCash.ApproveWallet(p.Reference);
            await Until(p.Id, "captured");
        }
        hub.JazzCash.Tamper(wrongAmount.Reference, amount: 19999);
        // Expired at the hub, then approved at JazzCash without an IPN: the gateway has money the hub does not hold as captured.
        await Until(paidBehindTheHub.Id, "expired");
        await hub.JazzCash.ApproveWallet(paidBehindTheHub.Reference, sendIpn: false);

        var found = await Reconcile(DemoPayments.JazzCashAccount, good.At, paidBehindTheHub.At);

        string KindOf(string reference) => Assert.Single(found, m => m["reference"]!.GetValue<string>() == reference)!["kind"]!.GetValue<string>();
        Assert.Equal("amount_mismatch", KindOf(wrongAmount.Reference));
        Assert.Equal("status_mismatch", KindOf(paidBehindTheHub.Reference));
        Assert.DoesNotContain(found, m => m["reference"]!.GetValue<string>() == good.Reference);
    }

    [Fact]
    public async Task A_scheduled_run_of_an_account_and_day_happens_once_across_instances()
    {
        var ledger = (IntegrationHub.Payments.Ledger.IPaymentLedger)hub.Services.GetService(typeof(IntegrationHub.Payments.Ledger.IPaymentLedger))!;
        var day = new DateOnly(2026, 1, Random.Shared.Next(1, 28));
        var account = "acct-" + Guid.NewGuid().ToString("N")[..8];
        IntegrationHub.Payments.Ledger.ReconciliationRun Run(string id, string by) => new(id, account, day, by, DateTimeOffset.UtcNow);

        Assert.True(await ledger.StartRun(Run($"rec_a_{account}", "schedule"), CancellationToken.None));
        Assert.False(await ledger.StartRun(Run($"rec_a_{account}", "schedule"), CancellationToken.None));   // the same command on a second instance
        Assert.False(await ledger.StartRun(Run($"rec_b_{account}", "schedule"), CancellationToken.None));   // another id, the same account and day
        Assert.True(await ledger.StartRun(Run("rec_c" + account, "hubctl"), CancellationToken.None)); // an operator's run is always made
    }

    [Fact]
    public async Task Reconciliation_needs_an_operator()
    {
        var (response, _) = await hub.Post("/api/v1/payments/reconciliations", """{"date":"2026-12-01"}""");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Reconciliation_of_a_bad_day_or_account_is_400()
    {
        var ops = hub.Token(PaymentsHub.Department, HubScopes.Ops);

        Assert.Equal(HttpStatusCode.BadRequest, (await hub.Post("/api/v1/payments/reconciliations", """{"date":"yesterday"}""", ops)).Response.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await hub.Post("/api/v1/payments/reconciliations", """{"date":"2026-12-01","account":"nobody"}""", ops)).Response.StatusCode);
    }
}

public sealed class InMemoryReconciliationContract(InMemoryPaymentsHub hub) : ReconciliationContract<InMemoryPaymentsHub>(hub);

public sealed class DurableReconciliationContract(DurablePaymentsHub hub) : ReconciliationContract<DurablePaymentsHub>(hub);
