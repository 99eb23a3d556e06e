using System.Net;
using System.Security.Cryptography;
using System.Text;
using IntegrationHub.Adapters.Payments;
using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Http;
using IntegrationHub.Payments.Accounts;
using IntegrationHub.Payments.Ledger;
using IntegrationHub.Payments.Paying;
using Rebus.Messages;

namespace IntegrationHub.Payments.Callbacks;

/// <summary>
/// What gateways (and payers' browsers) send back, one route per gateway account since secrets are per department:
/// <c>POST /api/v1/payments/callbacks/{gateway}/{account}</c>. Each is verified by its gateway's scheme before anything
/// is read (Stripe-Signature, pp_SecureHash); forged or stale ones answer 401, unreadable ones 400, and every one is
/// recorded (outcome and reason, no body). A verified one becomes a message for its payment's saga; a JazzCash return
/// post then sends the browser on to the department's page. Also the hub's checkout page for hosted forms.
/// </summary>
public static class PaymentCallbacksApi
{
    public const int MaxCallbackBytes = 256 * 1024;

    public static void MapPaymentCallbacks(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/payments/callbacks/{gateway}/{account}", Receive).WithTags("Payments").AllowAnonymous().DisableAntiforgery()
            .WithName("ReceivePaymentCallback")
            .WithSummary("A gateway's callback (Stripe webhook, JazzCash IPN or return post), verified by the gateway's own scheme")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status404NotFound);
        app.MapGet("/api/v1/payments/{id}/checkout/{token}", Checkout).WithTags("Payments").AllowAnonymous().WithName("PaymentCheckoutPage")
            .WithSummary("The payer's page for a hosted checkout: it posts the gateway's signed form (the token in the URL is the payer's only key)");
    }

    static async Task<IResult> Receive(string gateway, string account, HttpContext http, PaymentGateways gateways, IPaymentLedger ledger,
        EndpointRuntime<PaymentsEndpoint> payments, TimeProvider clock, ILoggerFactory logs)
    {
        var logger = logs.CreateLogger(typeof(PaymentCallbacksApi));
        var now = clock.GetUtcNow();
        if (gateways.Find(gateway, account) is not { } found)
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such gateway account",
                detail: "This hub has no account of that name at that gateway.");
        var body = await RequestBodies.ReadLimited(http.Request, MaxCallbackBytes);
        if (body is null)
        {
            await Record(ledger, new CallbackRow(gateway, account, now, "refused", "too large", null, null));
            return RequestBodies.TooLarge(MaxCallbackBytes, "callback");
        }
        var headers = http.Request.Headers.Where(h => h.Key.Length <= 64).ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var verification = found.Adapter.Verify(new GatewayCallback(body, http.Request.ContentType, headers, now));
        if (verification is CallbackVerification.Refused refused)
        {
            logger.LogWarning("A {Gateway} callback for account {Account} was refused ({Status}): {Reason}", gateway, account, refused.Status, refused.Reason);
            await Record(ledger, new CallbackRow(gateway, account, now, "refused", refused.Reason, null, null));
            return Results.Problem(statusCode: refused.Status, title: refused.Status == 401 ? "The callback's signature is not valid" : "The callback cannot be read",
                detail: refused.Reason);
        }
        var verified = (CallbackVerification.Verified)verification;
        if (verified is { Kind: CallbackKind.RefundEvent, Refund: { } refund })
        {
            var refundMessage = new RefundCallbackReceived(refund.Reference, verified.EventId, refund.State switch
            {
                RefundState.Completed => "completed",
                RefundState.Failed => "failed",
                _ => "pending",
            }, refund.GatewayId, refund.Code, account);
            var refundHeaders = new Dictionary<string, string> { [Headers.MessageId] = MessageId(gateway, account, verified.EventId) };
            if (await payments.Commit(http, bus => bus.SendLocal(refundMessage, refundHeaders), "the refund callback") is { } down) return down;
            await Record(ledger, new CallbackRow(gateway, account, now, "accepted", "refund " + refundMessage.State, verified.EventId, refund.Reference));
            return Results.Ok();
        }
        if (verified.Kind is CallbackKind.Ignored or CallbackKind.RefundEvent || verified.Payment is null)
        {
            await Record(ledger, new CallbackRow(gateway, account, now, "ignored", verified.Kind.ToString(), verified.EventId, verified.Payment?.Reference));
            return Reply(verified) ?? Results.Ok();
        }

        var payment = verified.Payment;
        var message = new PaymentCallbackReceived(payment.Reference, verified.EventId, PaymentGatewayCallHandler.StateName(payment.State), payment.Amount?.Minor,
            payment.Code, FromBrowser: verified.Kind == CallbackKind.ReturnPost, gateway, account, payment.Instrument);
        var messageHeaders = new Dictionary<string, string> { [Headers.MessageId] = MessageId(gateway, account, verified.EventId) };
        var unavailable = await payments.Commit(http, bus => bus.SendLocal(message, messageHeaders), "the payment callback");
        if (unavailable is not null) return unavailable;
        await Record(ledger, new CallbackRow(gateway, account, now, "accepted", payment.State.ToString(), verified.EventId, payment.Reference));

        if (verified.Kind == CallbackKind.ReturnPost)
        {
            // The payer's browser: on to the department's page, or a page of the hub's own when the department gave none.
            var row = await ledger.PaymentByReference(payment.Reference, http.RequestAborted);
            if (row?.ReturnUrl is { } back)
                return Results.Redirect(back + (back.Contains('?') ? "&" : "?") + "paymentId=" + Uri.EscapeDataString(row.Id), permanent: false, preserveMethod: false);
            return Results.Content(Page("Payment received", "Thank you. Your payment is being confirmed; the department will tell you when it is."), "text/html; charset=utf-8");
        }
        return Reply(verified) ?? Results.Ok();
    }

    static async Task<IResult> Checkout(string id, string token, HttpContext http, IPaymentLedger ledger, PaymentGateways gateways, PaymentsOptions options,
        TimeProvider clock)
    {
        var row = await FindPayment(ledger, options, id, http.RequestAborted);
        if (row is null || !CheckoutTokens.Matches(token, row.CheckoutTokenHash))
            return Results.Content(Page("Payment not found", "This payment link is not valid."), "text/html; charset=utf-8", statusCode: StatusCodes.Status404NotFound);
        if (row.State != PaymentStates.Pending || clock.GetUtcNow() >= row.ExpiresAt)
            return Results.Content(Page("Payment closed", $"This payment is {row.State}; nothing more can be paid here."), "text/html; charset=utf-8",
                statusCode: StatusCodes.Status410Gone);
        // The same order as the saga created (a hosted form involves no call): the fields are signed again, here only.
        var created = await gateways.Of(row.Account).Create(PaymentGatewayCallHandler.Order(new CallPaymentGateway("", PaymentGatewayCallHandler.Create,
            row.Account, row.Reference, row.GatewayId, row.AmountMinor, row.Currency, row.BillReference, row.Description, row.Method, row.CreatedAt, row.ExpiresAt,
            new Uri(options.PublicBaseUrl, $"/api/v1/payments/callbacks/{row.Gateway}/{row.Account}").ToString(), null, null)), http.RequestAborted);
        if (created.Checkout is not Checkout.AutoPostForm form)
            return Results.Content(Page("Nothing to post", "This payment is not paid through a form."), "text/html; charset=utf-8", statusCode: StatusCodes.Status404NotFound);
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers["Referrer-Policy"] = "no-referrer";
        var fields = string.Concat(form.Fields.Select(f => $"<input type=\"hidden\" name=\"{WebUtility.HtmlEncode(f.Key)}\" value=\"{WebUtility.HtmlEncode(f.Value)}\">"));
        var amount = new Money(row.AmountMinor, row.Currency);
        return Results.Content($"""
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Pay {WebUtility.HtmlEncode(amount.ToString())}</title></head>
            <body onload="document.forms[0].submit()"><form method="post" action="{WebUtility.HtmlEncode(form.Action.ToString())}">{fields}
            <p>Paying {WebUtility.HtmlEncode(amount.ToString())} for {WebUtility.HtmlEncode(row.BillReference)}.</p><button type="submit">Continue to {WebUtility.HtmlEncode(row.Gateway)}</button></form></body></html>
            """, "text/html; charset=utf-8");
    }

    /// <summary>The payment of any department with this id (ids are random and unique; the token proves the payer's right to it).</summary>
    static async Task<PaymentRow?> FindPayment(IPaymentLedger ledger, PaymentsOptions options, string id, CancellationToken cancellationToken)
    {
        if (id.Length > 64) return null;
        foreach (var department in options.Departments.Keys)
            if (await ledger.Payment(department, id, cancellationToken) is { } row)
                return row;
        return null;
    }

    static IResult? Reply(CallbackVerification.Verified verified) =>
        verified.Reply is { } reply ? Results.Content(reply.Body, reply.ContentType) : null;

    static Task Record(IPaymentLedger ledger, CallbackRow row) => ledger.RecordCallback(row, CancellationToken.None);

    static string MessageId(string gateway, string account, string eventId)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"payments\n{gateway}\n{account}\n{eventId}"));
        return new Guid(hash.AsSpan(0, 16)).ToString();
    }

    static string Page(string title, string text) =>
        $"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{WebUtility.HtmlEncode(title)}</title></head><body><h1>{WebUtility.HtmlEncode(title)}</h1><p>{WebUtility.HtmlEncode(text)}</p></body></html>";
}
