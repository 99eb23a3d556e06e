using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using IntegrationHub.Adapters.JazzCash;
using IntegrationHub.Adapters.Payments.Simulator;
using IntegrationHub.Adapters.Stripe;
using IntegrationHub.Payments.Development;
using IntegrationHub.Testing;

namespace IntegrationHub.Payments.Tests;

/// <summary>
/// The money path as a department and its payers see it, on each infrastructure: bills paid through Stripe and JazzCash
/// (hosted form and wallet) with receipts; failures, expiry, lost and duplicated callbacks, money after expiry, racing
/// checkouts, forged callbacks — and none of it changing the money.
/// </summary>
public abstract partial class PaymentsContract<THub>(THub hub) : IClassFixture<THub> where THub : PaymentsHub
{
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    async Task<string> Bill(string amount = "1500.00", string currency = "PKR", string? token = "")
    {
        var (response, body) = await hub.Post("/api/v1/bills", $$"""
            {"reference":"CH{{Random.Shared.Next(100000, 999999)}}","currency":"{{currency}}","payer":{"name":"Ayesha Khan","mobile":"03001234567"},
             "items":[{"description":"Driving licence renewal","amount":"{{amount}}"}],"dueDate":"2026-12-31"}
            """, token);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return body!["id"]!.GetValue<string>();
    }

    async Task<string> Pay(string billId, string account, string method = "hosted-checkout", string extra = "")
    {
        var (response, body) = await hub.Post("/api/v1/payments", $$"""{"billId":"{{billId}}","account":"{{account}}","method":"{{method}}"{{extra}}}""");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return body!["id"]!.GetValue<string>();
    }

    async Task<JsonNode> Status(string paymentId, params string[] statuses)
    {
        JsonNode? status = null;
        await Eventually.Until(async () =>
        {
            var (response, body) = await hub.Get($"/api/v1/payments/{paymentId}");
            status = body;
            return response.StatusCode == HttpStatusCode.OK && statuses.Contains(body!["status"]!.GetValue<string>());
        }, Wait, $"payment {paymentId} {string.Join(" or ", statuses)} (last: {status?["status"]})");
        return status!;
    }

    async Task<JsonNode> BillNow(string billId) => (await hub.Get($"/api/v1/bills/{billId}")).Body!;

    async Task<List<JsonNode>> Callbacks() =>
        [.. (await hub.Get("/api/v1/payments/callbacks?limit=1000", hub.Token(PaymentsHub.Department, IntegrationHub.Hosting.Security.HubScopes.Ops))).Body!.AsArray().Select(c => c!)];

    async Task<string> GatewayIdOf(string paymentId) =>
        (await Status(paymentId, "awaiting-payment"))["reference"]!.GetValue<string>() is var reference
            ? hub.Stripe.IntentFor(reference) ?? reference
            : throw new InvalidOperationException();

    [Fact]
    public async Task Bill_paid_through_stripe_is_captured_with_a_receipt()
    {
        var bill = await Bill("2500.00");
        var payment = await Pay(bill, DemoPayments.StripeAccount);

        var awaiting = await Status(payment, "awaiting-payment");
        var checkout = awaiting["result"]!["checkout"]!;
        Assert.Equal("stripe", checkout["kind"]!.GetValue<string>());
        Assert.Equal(StripeSimulator.PublishableKey, checkout["publishableKey"]!.GetValue<string>());
        Assert.Equal("2500.00", (await BillNow(bill))["reserved"]!.GetValue<string>());
        var intent = hub.Stripe.IntentFor(awaiting["reference"]!.GetValue<string>())!;
        Assert.Equal(250000, hub.Stripe.Intent(intent)!["amount"]!.GetValue<long>()); // PKR minor units: paisa

        await hub.Stripe.Pay(intent);

        var captured = await Status(payment, "captured");
        var (_, receipt) = await hub.Get($"/api/v1/payments/{payment}/receipt");
        Assert.Matches(@"^REVENUE-\d{4}-\d{2}-\d{6}$", receipt!["number"]!.GetValue<string>());
        Assert.Equal("2500.00", receipt["amount"]!.GetValue<string>());
        Assert.Equal("Ayesha Khan", receipt["payerName"]!.GetValue<string>());
        Assert.Contains(receipt["number"]!.GetValue<string>(), captured["result"]!.ToJsonString());
        var after = await BillNow(bill);
        Assert.Equal(("2500.00", "0.00", "0.00"), (after["paid"]!.GetValue<string>(), after["reserved"]!.GetValue<string>(), after["outstanding"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Bill_paid_through_the_jazzcash_hosted_form_returns_the_payer_to_the_department()
    {
        var bill = await Bill("1500.50");
        var payment = await Pay(bill, DemoPayments.JazzCashAccount, extra: $$""","returnUrl":"{{PaymentsHub.ReturnUrl}}?case=1" """);
        var awaiting = await Status(payment, "awaiting-payment");
        var checkout = awaiting["result"]!["checkout"]!;
        Assert.Equal("form", checkout["kind"]!.GetValue<string>());
        Assert.DoesNotContain(JazzCashSimulator.Password, awaiting.ToJsonString()); // the form's secrets stay on the hub's page

        // The payer's browser: the hub's page, its form posted to JazzCash, paid there, the result posted back to the hub.
        var page = await hub.Http.GetStringAsync(new Uri(checkout["url"]!.GetValue<string>()).PathAndQuery);
        var action = Regex.Match(page, "action=\"([^\"]+)\"").Groups[1].Value;
        var fields = Regex.Matches(page, "name=\"([^\"]+)\" value=\"([^\"]*)\"").Select(m => new KeyValuePair<string, string>(
            WebUtility.HtmlDecode(m.Groups[1].Value), WebUtility.HtmlDecode(m.Groups[2].Value))).ToList();
        Assert.Contains(fields, f => f.Key == "pp_Amount" && f.Value == "150050");
        var (_, atJazzCash) = await hub.JazzCash.PostForm(new Uri(WebUtility.HtmlDecode(action)), fields);
        Assert.Contains("Pay PKR", atJazzCash);
        var result = hub.JazzCash.CompleteCheckout(awaiting["reference"]!.GetValue<string>());
        using var returnPost = await hub.Http.PostAsync($"/api/v1/payments/callbacks/{JazzCashGateway.Name}/{DemoPayments.JazzCashAccount}", new FormUrlEncodedContent(result));

        Assert.Equal(HttpStatusCode.Redirect, returnPost.StatusCode);
        Assert.Equal($"{PaymentsHub.ReturnUrl}?case=1&paymentId={payment}", returnPost.Headers.Location!.ToString());
        await Status(payment, "captured"); // after the hub asked JazzCash itself (the browser's word alone does not count)
        Assert.Equal("1500.50", (await BillNow(bill))["paid"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Gone, (await hub.Http.GetAsync(new Uri(checkout["url"]!.GetValue<string>()).PathAndQuery)).StatusCode);
    }

    [Fact]
    public async Task Wallet_payment_is_captured_when_the_payer_approves_on_the_phone()
    {
        var bill = await Bill("300.00");
        var payment = await Pay(bill, DemoPayments.JazzCashAccount, "mobile-wallet", ""","payer":{"mobile":"03123456789","cnicLast6":"345678"}""");
        var awaiting = await Status(payment, "awaiting-payment");
        Assert.Equal("approve-on-phone", awaiting["result"]!["checkout"]!["kind"]!.GetValue<string>());

        await hub.JazzCash.ApproveWallet(awaiting["reference"]!.GetValue<string>());

        await Status(payment, "captured");
    }

    [Fact]
    public async Task Declined_payment_fails_and_frees_the_bill_for_another_try()
    {
        var bill = await Bill("99.00", "USD");
        var payment = await Pay(bill, DemoPayments.StripeAccount);

        await hub.Stripe.Decline(await GatewayIdOf(payment));

        var failed = await Status(payment, "failed");
        Assert.Contains("card_declined", failed.ToJsonString());
        Assert.Equal("99.00", (await BillNow(bill))["outstanding"]!.GetValue<string>());
        await Status(await Pay(bill, DemoPayments.StripeAccount), "awaiting-payment");
    }

    [Fact]
    public async Task Lost_webhook_is_recovered_by_asking_the_gateway()
    {
        var payment = await Pay(await Bill("10.00", "USD"), DemoPayments.StripeAccount);

        await hub.Stripe.Pay(await GatewayIdOf(payment), EventDelivery.Lost);

        await Status(payment, "captured");
    }

    [Fact]
    public async Task Webhook_arriving_after_polling_captured_changes_nothing()
    {
        var bill = await Bill("15.00", "USD");
        var payment = await Pay(bill, DemoPayments.StripeAccount);
        hub.Stripe.EventDelay = TimeSpan.FromSeconds(4);

        var eventId = await hub.Stripe.Pay(await GatewayIdOf(payment), EventDelivery.Delayed);
        await Status(payment, "captured"); // found by asking Stripe, before its webhook came

        // Barrier: the delayed webhook is delivered (the operators' callback list shows it), then another event after it.
        await Eventually.Until(async () => (await Callbacks()).Any(c => c["eventId"]?.GetValue<string>() == eventId), Wait, "the late webhook received");
        var other = await Pay(await Bill("1.00", "USD"), DemoPayments.StripeAccount);
        await hub.Stripe.Pay(await GatewayIdOf(other));
        await Status(other, "captured");
        var (_, status) = await hub.Get($"/api/v1/payments/{payment}");
        Assert.Single(status!["timeline"]!.AsArray(), e => e!["step"]!.GetValue<string>() == "captured");
        Assert.Equal("15.00", (await BillNow(bill))["paid"]!.GetValue<string>());
    }

    [Fact]
    public async Task Webhook_delivered_twice_captures_once()
    {
        var bill = await Bill("20.00", "USD");
        var payment = await Pay(bill, DemoPayments.StripeAccount);

        await hub.Stripe.Pay(await GatewayIdOf(payment), EventDelivery.Twice);

        await Status(payment, "captured");
        var (_, status) = await hub.Get($"/api/v1/payments/{payment}");
        Assert.Single(status!["timeline"]!.AsArray(), e => e!["step"]!.GetValue<string>() == "captured");
        Assert.Equal("20.00", (await BillNow(bill))["paid"]!.GetValue<string>());
    }

    [Fact]
    public async Task Events_out_of_order_never_move_a_captured_payment_back()
    {
        var bill = await Bill("30.00", "USD");
        var payment = await Pay(bill, DemoPayments.StripeAccount);
        var intent = await GatewayIdOf(payment);
        var declinedEarlier = hub.Stripe.SignedEvent("payment_intent.payment_failed", hub.Stripe.Intent(intent)!);

        await hub.Stripe.Pay(intent);
        await Status(payment, "captured");
        Assert.Equal(200, await hub.Stripe.Deliver(declinedEarlier.Body, declinedEarlier.Signature)); // the older event, last

        // Barrier: a later capture of another payment is handled, so the stale event would have been by now.
        var other = await Pay(await Bill("1.00", "USD"), DemoPayments.StripeAccount);
        await hub.Stripe.Pay(await GatewayIdOf(other));
        await Status(other, "captured");
        Assert.Equal("captured", (await hub.Get($"/api/v1/payments/{payment}")).Body!["status"]!.GetValue<string>());
        Assert.Equal("30.00", (await BillNow(bill))["paid"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Jazzcash_ipn_and_return_post_in_either_order_capture_once(bool ipnFirst)
    {
        var bill = await Bill("250.00");
        var payment = await Pay(bill, DemoPayments.JazzCashAccount, extra: $$""","returnUrl":"{{PaymentsHub.ReturnUrl}}" """);
        var awaiting = await Status(payment, "awaiting-payment");
        var reference = awaiting["reference"]!.GetValue<string>();
        var page = await hub.Http.GetStringAsync(new Uri(awaiting["result"]!["checkout"]!["url"]!.GetValue<string>()).PathAndQuery);
        var fields = Regex.Matches(page, "name=\"([^\"]+)\" value=\"([^\"]*)\"").Select(m => new KeyValuePair<string, string>(
            WebUtility.HtmlDecode(m.Groups[1].Value), WebUtility.HtmlDecode(m.Groups[2].Value))).ToList();
        await hub.JazzCash.PostForm(new Uri(WebUtility.HtmlDecode(Regex.Match(page, "action=\"([^\"]+)\"").Groups[1].Value)), fields);
        var result = hub.JazzCash.CompleteCheckout(reference);
        async Task ReturnPost()
        {
            using var posted = await hub.Http.PostAsync($"/api/v1/payments/callbacks/{JazzCashGateway.Name}/{DemoPayments.JazzCashAccount}", new FormUrlEncodedContent(result));
            Assert.Equal(HttpStatusCode.Redirect, posted.StatusCode);
        }
        async Task Ipn()
        {
            var (status, reply) = await hub.JazzCash.SendIpn(reference);
            Assert.Equal(200, status);
            Assert.Contains("\"pp_ResponseCode\":\"000\"", reply);
        }

        if (ipnFirst) { await Ipn(); await ReturnPost(); }
        else { await ReturnPost(); await Ipn(); }
        await Ipn(); // and JazzCash's retry of the IPN

        await Status(payment, "captured");
        var (_, status2) = await hub.Get($"/api/v1/payments/{payment}");
        Assert.Single(status2!["timeline"]!.AsArray(), e => e!["step"]!.GetValue<string>() == "captured");
        Assert.Equal("250.00", (await BillNow(bill))["paid"]!.GetValue<string>());
    }

    [Fact]
    public async Task Unpaid_payment_expires_and_frees_the_bill()
    {
        var bill = await Bill("5.00", "USD");
        var payment = await Pay(bill, DemoPayments.StripeAccount);
        var intent = await GatewayIdOf(payment);

        await Status(payment, "expired");

        Assert.Equal("canceled", hub.Stripe.Intent(intent)!["status"]!.GetValue<string>()); // nobody can pay it any more
        Assert.Equal("5.00", (await BillNow(bill))["outstanding"]!.GetValue<string>());
    }

    [Fact]
    public async Task Money_captured_after_expiry_is_recorded_and_flagged_never_lost()
    {
        var bill = await Bill("700.00");
        var payment = await Pay(bill, DemoPayments.JazzCashAccount, "mobile-wallet", ""","payer":{"mobile":"03123456789","cnicLast6":"345678"}""");
        var reference = (await Status(payment, "awaiting-payment"))["reference"]!.GetValue<string>();
        await Status(payment, "expired");

        await hub.JazzCash.ApproveWallet(reference); // the payer approves late; JazzCash sends its IPN

        JsonNode? receipt = null;
        await Eventually.Until(async () =>
        {
            var (response, body) = await hub.Get($"/api/v1/payments/{payment}/receipt");
            receipt = body;
            return response.StatusCode == HttpStatusCode.OK;
        }, Wait, "the late receipt");
        Assert.Equal("700.00", receipt!["amount"]!.GetValue<string>());
        Assert.Equal("700.00", (await BillNow(bill))["paid"]!.GetValue<string>());
    }

    [Fact]
    public async Task Two_checkouts_racing_on_one_bill_cannot_both_take_it()
    {
        var bill = await Bill("50.00", "USD");

        var first = hub.Post("/api/v1/payments", $$"""{"billId":"{{bill}}","account":"{{DemoPayments.StripeAccount}}"}""");
        var second = hub.Post("/api/v1/payments", $$"""{"billId":"{{bill}}","account":"{{DemoPayments.StripeAccount}}"}""");
        var answers = await Task.WhenAll(first, second);

        var accepted = answers.Where(a => a.Response.StatusCode == HttpStatusCode.Accepted).Select(a => a.Body!["id"]!.GetValue<string>()).ToList();
        Assert.All(answers, a => Assert.True(a.Response.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.Conflict, a.Response.StatusCode.ToString()));
        var outcomes = new List<string>();
        foreach (var id in accepted)
            outcomes.Add((await Status(id, "awaiting-payment", "failed"))["status"]!.GetValue<string>());
        Assert.Equal(1, outcomes.Count(o => o == "awaiting-payment"));
        Assert.Equal("50.00", (await BillNow(bill))["reserved"]!.GetValue<string>());
        var (again, _) = await hub.Post("/api/v1/payments", $$"""{"billId":"{{bill}}","account":"{{DemoPayments.StripeAccount}}"}""");
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Fact]
    public async Task Receipt_numbers_follow_each_other_without_gaps()
    {
        var payments = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var payment = await Pay(await Bill("1.00", "USD"), DemoPayments.StripeAccount);
            await hub.Stripe.Pay(await GatewayIdOf(payment));
            await Status(payment, "captured");
            payments.Add(payment);
        }

        var sequences = new List<long>();
        foreach (var payment in payments)
            sequences.Add(long.Parse((await hub.Get($"/api/v1/payments/{payment}/receipt")).Body!["number"]!.GetValue<string>()[^6..]));
        Assert.Equal([sequences[0], sequences[0] + 1, sequences[0] + 2], sequences);
    }

    [Fact]
    public async Task Forged_or_stale_webhooks_are_refused_and_change_nothing()
    {
        var bill = await Bill("40.00", "USD");
        var payment = await Pay(bill, DemoPayments.StripeAccount);
        var intent = hub.Stripe.Intent(await GatewayIdOf(payment))!;
        intent["status"] = "succeeded";

        var forged = hub.Stripe.SignedEvent("payment_intent.succeeded", intent, secret: "whsec_not_the_accounts");
        var stale = hub.Stripe.SignedEvent("payment_intent.succeeded", intent, at: DateTimeOffset.UtcNow.AddMinutes(-10));
        var good = hub.Stripe.SignedEvent("payment_intent.succeeded", intent);
        var tampered = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(good.Body).Replace("4000", "1"));

        Assert.Equal(401, await hub.Stripe.Deliver(forged.Body, forged.Signature));
        Assert.Equal(401, await hub.Stripe.Deliver(stale.Body, stale.Signature));
        Assert.Equal(401, await hub.Stripe.Deliver(tampered, good.Signature));
        Assert.Equal(401, await hub.Stripe.Deliver(good.Body, null));
        // The other department's account has another secret: an event signed for this one is refused there.
        using var elsewhere = new HttpRequestMessage(HttpMethod.Post, "/api/v1/payments/callbacks/stripe/other-stripe") { Content = new ByteArrayContent(good.Body) };
        elsewhere.Headers.TryAddWithoutValidation(StripeSignature.Header, good.Signature);
        Assert.Equal(HttpStatusCode.Unauthorized, (await hub.Http.SendAsync(elsewhere)).StatusCode);

        // Barrier: the genuine event is taken, so the forged ones would have been by now.
        Assert.Equal(200, await hub.Stripe.Deliver(good.Body, good.Signature));
        await Status(payment, "captured");
        Assert.Equal("40.00", (await BillNow(bill))["paid"]!.GetValue<string>());
        // Each refusal is recorded for operators with its reason, and nothing of the body.
        var recorded = (await Callbacks()).Where(c => c["account"]!.GetValue<string>() == DemoPayments.StripeAccount && c["outcome"]!.GetValue<string>() == "refused").ToList();
        Assert.Contains(recorded, c => c["reason"]!.GetValue<string>().Contains("older"));
        Assert.Contains(recorded, c => c["reason"]!.GetValue<string>().Contains("no Stripe-Signature"));
        Assert.DoesNotContain(recorded, c => c.ToJsonString().Contains("4000") || c.ToJsonString().Contains("payment_intent.succeeded"));
    }

    [Fact]
    public async Task Event_verified_for_another_account_never_captures_this_accounts_payment()
    {
        var bill = await Bill("60.00", "USD");
        var payment = await Pay(bill, DemoPayments.StripeAccount);
        var intent = hub.Stripe.Intent(await GatewayIdOf(payment))!;
        intent["status"] = "succeeded";
        // The other department's own account and secret, naming this department's reference: genuinely signed, for the wrong account.
        var elsewhere = hub.Stripe.SignedEvent("payment_intent.succeeded", intent, secret: "whsec_other_department");
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/payments/callbacks/stripe/other-stripe") { Content = new ByteArrayContent(elsewhere.Body) })
        {
            request.Headers.TryAddWithoutValidation(StripeSignature.Header, elsewhere.Signature);
            Assert.Equal(HttpStatusCode.OK, (await hub.Http.SendAsync(request)).StatusCode);
        }

        // Barrier: another payment captured after it, so the wrong account's event would have been handled by now.
        var other = await Pay(await Bill("1.00", "USD"), DemoPayments.StripeAccount);
        await hub.Stripe.Pay(await GatewayIdOf(other));
        await Status(other, "captured");
        Assert.Equal("awaiting-payment", (await hub.Get($"/api/v1/payments/{payment}")).Body!["status"]!.GetValue<string>());
        Assert.Equal("0.00", (await BillNow(bill))["paid"]!.GetValue<string>());
    }

    [Fact]
    public async Task Payment_repeated_with_its_idempotency_key_after_the_bill_was_set_aside_is_the_same_payment()
    {
        var bill = await Bill("70.00", "USD");
        var key = Guid.NewGuid().ToString();
        var json = $$"""{"billId":"{{bill}}","account":"{{DemoPayments.StripeAccount}}"}""";

        var (first, one) = await hub.Post("/api/v1/payments", json, idempotencyKey: key);
        await Status(one!["id"]!.GetValue<string>(), "awaiting-payment");
        var (again, two) = await hub.Post("/api/v1/payments", json, idempotencyKey: key);

        Assert.Equal((HttpStatusCode.Accepted, HttpStatusCode.Accepted), (first.StatusCode, again.StatusCode));
        Assert.Equal(one["id"]!.GetValue<string>(), two!["id"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Conflict, (await hub.Post("/api/v1/payments", json)).Response.StatusCode); // a new payment: nothing outstanding
    }

    public static TheoryData<string, string, string> HostileCallbacks => new()
    {
        { "stripe", "application/json", "\u0000\u0000" },
        { "stripe", "application/json", "{\"id\":1e999999}" },
        { "jazzcash", "application/x-www-form-urlencoded", "pp_TxnRefNo=%00&pp_SecureHash=" + new string('A', 64) },
        { "jazzcash", "application/x-www-form-urlencoded", "pp_Amount=999999999999999999999999&pp_SecureHash=00" },
        { "jazzcash", "application/json", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[" },
        { "jazzcash", "text/plain", "hello" },
    };

    [Theory]
    [MemberData(nameof(HostileCallbacks))]
    public async Task Hostile_callback_gets_a_clear_4xx_never_a_500(string gateway, string contentType, string body)
    {
        var account = gateway == "stripe" ? DemoPayments.StripeAccount : DemoPayments.JazzCashAccount;
        var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new(contentType);
        if (gateway == "stripe") content.Headers.TryAddWithoutValidation(StripeSignature.Header, "t=99999999999999999999,v1=" + new string('a', 64));

        using var response = await hub.Http.PostAsync($"/api/v1/payments/callbacks/{gateway}/{account}", content);

        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized, response.StatusCode.ToString());
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Invalid_utf8_callback_is_refused()
    {
        var content = new ByteArrayContent([0x70, 0x70, 0x5F, 0xC3, 0x28, 0xFF, 0x3D, 0x31]);
        content.Headers.ContentType = new("application/x-www-form-urlencoded");

        using var response = await hub.Http.PostAsync($"/api/v1/payments/callbacks/jazzcash/{DemoPayments.JazzCashAccount}", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Callback_for_an_account_the_hub_does_not_have_is_404()
    {
        using var response = await hub.Http.PostAsync("/api/v1/payments/callbacks/stripe/nobody", new StringContent("{}"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    public static TheoryData<string, string> BadPayments => new()
    {
        { """{"amount":1500,"currency":"PKR"}""", "amount" },
        { """{"amount":"15.001","currency":"USD"}""", "amount" },
        { """{"amount":"15.00","currency":"XYZ"}""", "amount" },
        { """{"amount":"15.00","currency":"KWD"}""", "account" },
        { """{"amount":"15.00","currency":"USD","returnUrl":"https://evil.example/steal"}""", "returnUrl" },
        { """{"amount":"15.00","currency":"USD","returnUrl":"https://revenue.example.gov.evil.example/payments/done"}""", "returnUrl" },
        { """{"amount":"15.00","currency":"USD","returnUrl":"https://revenue.example.gov/payments/doneevil"}""", "returnUrl" },
        { """{"amount":"15.00","currency":"USD","method":"mobile-wallet","account":"demo-jazzcash"}""", "payer" },
        { """{"amount":"15.00","currency":"USD","method":"cash"}""", "method" },
        { """{"billId":"bil_x","amount":"15.00","currency":"USD"}""", "billId" },
        { """{}""", "billId" },
    };

    [Theory]
    [MemberData(nameof(BadPayments))]
    public async Task Bad_payment_request_gets_400_naming_the_field(string json, string field)
    {
        var (response, body) = await hub.Post("/api/v1/payments", json);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull(body!["errors"]![field]);
    }

    [Fact]
    public async Task Another_departments_bills_and_payments_are_not_found()
    {
        var bill = await Bill("8.00", "USD");
        var payment = await Pay(bill, DemoPayments.StripeAccount);
        var other = hub.Token(PaymentsHub.Other);

        Assert.Equal(HttpStatusCode.NotFound, (await hub.Get($"/api/v1/bills/{bill}", other)).Response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await hub.Get($"/api/v1/payments/{payment}", other)).Response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await hub.Post("/api/v1/payments", $$"""{"billId":"{{bill}}"}""", other)).Response.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await hub.Get($"/api/v1/bills/{bill}", null)).Response.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await hub.Post("/api/v1/bills", "{}", hub.Token(PaymentsHub.Department, PaymentScopes.Read.Name))).Response.StatusCode);
    }

    [Fact]
    public async Task Bill_with_the_same_idempotency_key_is_the_same_bill()
    {
        const string json = """{"reference":"IDEM1","currency":"PKR","payer":{"name":"A"},"items":[{"description":"Fee","amount":"10"}]}""";
        var key = Guid.NewGuid().ToString();

        var (first, one) = await hub.Post("/api/v1/bills", json, idempotencyKey: key);
        var (again, two) = await hub.Post("/api/v1/bills", json, idempotencyKey: key);

        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.OK), (first.StatusCode, again.StatusCode));
        Assert.Equal(one!["id"]!.GetValue<string>(), two!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Checkout_page_with_a_wrong_token_shows_nothing()
    {
        var payment = await Pay(await Bill("3.00"), DemoPayments.JazzCashAccount);
        var url = (await Status(payment, "awaiting-payment"))["result"]!["checkout"]!["url"]!.GetValue<string>();
        var wrong = url[..^4] + (url.EndsWith("0000") ? "1111" : "0000");

        using var response = await hub.Http.GetAsync(new Uri(wrong).PathAndQuery);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain("pp_Password", await response.Content.ReadAsStringAsync());
    }
}

public sealed class InMemoryPaymentsContract(InMemoryPaymentsHub hub) : PaymentsContract<InMemoryPaymentsHub>(hub);

public sealed class DurablePaymentsContract(DurablePaymentsHub hub) : PaymentsContract<DurablePaymentsHub>(hub);
