using System.Security.Cryptography;
using System.Text.Json;
using IntegrationHub.Adapters.Payments;
using IntegrationHub.Contracts.Payments.Commands;
using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Departments;
using IntegrationHub.Hosting.Http;
using IntegrationHub.Hosting.Security;
using IntegrationHub.Payments.Ledger;
using IntegrationHub.Payments.Paying;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace IntegrationHub.Payments.Api;

/// <summary>
/// The departments' side of payments, under the department contract: bills (<c>POST/GET /api/v1/bills</c>), payments
/// (<c>POST /api/v1/payments</c> → 202 and a status resource with what the payer needs), receipts. Scopes
/// <c>payments:write</c> and <c>payments:read</c>.
/// </summary>
public static class PaymentsApi
{
    public const int MaxBodyBytes = 64 * 1024;
    public const int MaxItems = 100;
    const string PaymentRoute = "POST " + PaymentStatuses.Route;

    public static void MapPaymentsApi(this IEndpointRouteBuilder app)
    {
        var bills = app.MapGroup("/api/v1/bills").WithTags("Payments").RequireDepartment();
        bills.MapPost("", AddBill).RequireAuthorization(PaymentScopes.Write.Name).WithName("CreateBill")
            .WithSummary("Raise a bill: payer, items, currency, due date, the department's reference")
            .WithDescription("Needs scope `payments:write`. Body: `{ reference, payer: { name, mobile?, email? }, currency, items: [{ description, amount }], dueDate? }` " +
                "with amounts as decimal strings in major units (`\"1500.00\"`). 201 with the bill; the same `Idempotency-Key` returns the same bill.")
            .ProducesValidationProblem();
        bills.MapGet("/{id}", ShowBill).RequireAuthorization(PaymentScopes.Read.Name).WithName("GetBill").WithSummary("A bill: amount, paid, set aside by running payments, outstanding");

        var group = app.MapGroup(PaymentStatuses.Route).WithTags("Payments").RequireDepartment();
        group.MapPost("", Pay).RequireAuthorization(PaymentScopes.Write.Name).WithName("CreatePayment")
            .WithSummary("Take a payment of a bill's outstanding amount (or of an amount) through one of the department's gateway accounts")
            .WithDescription("Needs scope `payments:write`. Body: `{ billId? | amount + currency, account?, method?: hosted-checkout | mobile-wallet, " +
                "payer?: { mobile, cnicLast6 } (JazzCash wallet), returnUrl? (one of the department's registered return URLs), description? }`. " +
                "202 with the payment's status resource; its result has what the payer needs (`checkout`). Webhooks `payment.captured`, " +
                "`payment.failed`, `payment.expired` say how it ended. 409 when the bill has nothing outstanding.")
            .Produces<AcceptedView>(StatusCodes.Status202Accepted).ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict);
        group.MapGet("/{id}", ShowPayment).RequireAuthorization(PaymentScopes.Read.Name).WithName("GetPayment").WithSummary("A payment's status and timeline");
        group.MapPost("/{id}/refunds", RefundPayment).RequireAuthorization(PaymentScopes.Write.Name).WithName("RefundPayment")
            .WithSummary("Refund part or all of a captured payment")
            .WithDescription("Needs scope `payments:write`. Body: `{ amount?: \"500.00\" (default: all that is left), reason }`; send `Idempotency-Key`. " +
                "202 with the refund's status resource; webhooks `refund.completed` / `refund.failed`. 409 when the payment has less left to refund.")
            .Produces<AcceptedView>(StatusCodes.Status202Accepted).ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict);
        group.MapGet("/refunds/{id}", ShowRefund).RequireAuthorization(PaymentScopes.Read.Name).WithName("GetRefund").WithSummary("A refund's status and timeline");
        group.MapGet("/{id}/receipt", ShowReceipt).RequireAuthorization(PaymentScopes.Read.Name).WithName("GetReceipt")
            .WithSummary("The receipt of a captured payment: its number (sequential per department and fiscal year), amount, items");
        group.MapGet("/{id}/receipt.html", ShowReceiptPage).RequireAuthorization(PaymentScopes.Read.Name).WithName("GetReceiptPage")
            .WithSummary("The receipt as a printable HTML page in English, Urdu or Hindi")
            .WithDescription("Needs scope `payments:read`. `lang` is `en` (the default), `ur` (right to left) or `hi`; dates in the department's time zone. " +
                "A self-contained page (inline CSS, no scripts, nothing loaded from elsewhere). 404 when the payment has no receipt, 400 for another `lang`.")
            .Produces(StatusCodes.Status200OK, contentType: "text/html").ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
    }

    public sealed record BillView(string Id, string Reference, string Amount, long AmountMinor, string Currency, string Paid, string Reserved, string Outstanding,
        DateOnly? DueDate, string? PayerName, IReadOnlyList<ItemView> Items, DateTimeOffset CreatedAt);

    public sealed record ItemView(string Description, string Amount);

    public sealed record ReceiptView(string Number, string FiscalYear, string PaymentId, string? BillId, string BillReference, string Amount, string Currency,
        string Gateway, string? PayerName, IReadOnlyList<ItemView> Items, DateTimeOffset IssuedAt);

    static string Department(HttpContext http) => DepartmentRegistry.Normalize(http.User.Department()!);

    static async Task<Results<Created<BillView>, Ok<BillView>, ValidationProblem, ProblemHttpResult>> AddBill(HttpContext http, [FromServices] IPaymentLedger ledger,
        [FromServices] TimeProvider clock)
    {
        var errors = new Dictionary<string, string[]>();
        var key = IdempotencyKeys.Read(http.Request, errors);
        var body = await RequestBodies.ReadLimited(http.Request, MaxBodyBytes);
        if (body is null) return RequestBodies.TooLarge(MaxBodyBytes, "bill");
        using var json = JsonBodies.Parse(body, out var problem);
        if (json is null) return Invalid("body", problem ?? "The body must be JSON.");
        var root = json.RootElement;
        if (root.ValueKind != JsonValueKind.Object) return Invalid("body", "The body must be a JSON object.");
        var reference = Fields.Reference(root, "reference", errors, required: true);
        var currency = JsonFields.Text(root, "currency", errors, required: true, max: 3);
        string? payerName = null, mobile = null, email = null;
        if (root.TryGetProperty("payer", out var payer) && payer.ValueKind == JsonValueKind.Object)
        {
            payerName = JsonFields.Text(payer, "name", errors, required: true, max: 200, prefix: "payer.");
            mobile = JsonFields.Text(payer, "mobile", errors, max: 20, prefix: "payer.");
            email = JsonFields.Text(payer, "email", errors, max: 254, prefix: "payer.");
        }
        else errors["payer"] = ["payer is an object with the payer's name (and mobile, email if known)."];
        var items = new List<BillItem>();
        if (!root.TryGetProperty("items", out var list) || list.ValueKind != JsonValueKind.Array || list.GetArrayLength() is 0 or > MaxItems)
            errors["items"] = [$"items is a list of 1 to {MaxItems} {{ description, amount }}."];
        else
            foreach (var (item, i) in list.EnumerateArray().Select((item, i) => (item, i)))
            {
                var description = JsonFields.Text(item, "description", errors, required: true, max: 200, prefix: $"items[{i}].");
                var amount = JsonFields.Text(item, "amount", errors, required: true, max: 24, prefix: $"items[{i}].");
                if (description is null || amount is null || currency is null) continue;
                if (Money.TryParse(amount, currency, out var money, out var why) && money.Value.Minor > 0) items.Add(new BillItem(description, money.Value.Minor));
                else if (!errors.ContainsKey("currency")) errors[$"items[{i}].amount"] = [why ?? "an item's amount is above zero."];
            }
        DateOnly? due = null;
        if (JsonFields.Text(root, "dueDate", errors, max: 10) is { } dueText)
            if (DateOnly.TryParseExact(dueText, "yyyy-MM-dd", out var parsed)) due = parsed;
            else errors["dueDate"] = ["dueDate is a date such as 2026-12-31."];
        if (currency is not null && !Currencies.TryGet(currency, out _)) errors["currency"] = [$"'{currency}' is not a currency the hub knows (ISO 4217, e.g. PKR, INR, USD)."];
        long total = 0;
        foreach (var item in items) total = total + item.AmountMinor > Money.MaxMinor ? Money.MaxMinor + 1 : total + item.AmountMinor;
        if (total > Money.MaxMinor) errors["items"] = ["The items add up to more than the hub accepts."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "The bill is not valid");

        var department = Department(http);
        var bill = new BillRow(department, "bil_" + Guid.NewGuid().ToString("N"), reference!, payerName, mobile, email, items, total,
            currency!.ToUpperInvariant(), due, 0, 0, clock.GetUtcNow(), key);
        var stored = await ledger.AddBill(bill, http.RequestAborted);
        return stored.Id == bill.Id
            ? TypedResults.Created($"/api/v1/bills/{stored.Id}", View(stored))
            : TypedResults.Ok(View(stored));
    }

    static async Task<Results<Ok<BillView>, ProblemHttpResult>> ShowBill(string id, HttpContext http, [FromServices] IPaymentLedger ledger) =>
        await ledger.Bill(Department(http), id, http.RequestAborted) is { } bill ? TypedResults.Ok(View(bill)) : NotFound("bill", id);

    static Task<Results<Ok<StatusView>, ProblemHttpResult>> ShowPayment(string id, HttpContext http, [FromServices] EndpointRuntime<PaymentsEndpoint> payments) =>
        payments.Status.Show(PaymentStatuses.Kind, Department(http), id);

    static async Task<Results<Ok<ReceiptView>, ProblemHttpResult>> ShowReceipt(string id, HttpContext http, [FromServices] IPaymentLedger ledger) =>
        await ledger.Receipt(Department(http), id, http.RequestAborted) is { } r
            ? TypedResults.Ok(new ReceiptView(r.Number, r.FiscalYear, r.PaymentId, r.BillId, r.BillReference, new Money(r.AmountMinor, r.Currency).Amount, r.Currency,
                r.Gateway, r.PayerName, [.. r.Items.Select(i => new ItemView(i.Description, new Money(i.AmountMinor, r.Currency).Amount))], r.IssuedAt))
            : NotFound("receipt of payment", id);

    static async Task<Results<ContentHttpResult, ProblemHttpResult>> ShowReceiptPage(string id, string? lang, HttpContext http, [FromServices] IPaymentLedger ledger,
        [FromServices] PaymentsOptions options)
    {
        var language = lang ?? Receipts.ReceiptPage.English;
        if (!Receipts.ReceiptPage.IsLanguage(language))
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "No such receipt language",
                detail: $"lang is one of {string.Join(", ", Receipts.ReceiptPage.Languages)}.");
        var department = Department(http);
        if (await ledger.Receipt(department, id, http.RequestAborted) is not { } receipt) return NotFound("receipt of payment", id);
        var zone = options.Of(department)?.TimeZone ?? TimeZoneInfo.Utc;
        var headers = http.Response.Headers;
        headers.CacheControl = "no-store"; // the payer's name
        headers.ContentSecurityPolicy = Receipts.ReceiptPage.ContentSecurityPolicy + "; frame-ancestors 'none'";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        return TypedResults.Content(Receipts.ReceiptPage.Render(receipt, language, zone), Receipts.ReceiptPage.ContentType);
    }

    static async Task<Results<Accepted<AcceptedView>, ValidationProblem, ProblemHttpResult>> Pay(HttpContext http, [FromServices] IPaymentLedger ledger,
        [FromServices] EndpointRuntime<PaymentsEndpoint> payments, [FromServices] PaymentsOptions options, [FromServices] TimeProvider clock)
    {
        var department = Department(http);
        var errors = new Dictionary<string, string[]>();
        var key = IdempotencyKeys.Read(http.Request, errors);
        var body = await RequestBodies.ReadLimited(http.Request, MaxBodyBytes);
        if (body is null) return RequestBodies.TooLarge(MaxBodyBytes, "payment");
        using var json = JsonBodies.Parse(body, out var problem);
        if (json is null) return Invalid("body", problem ?? "The body must be JSON.");
        var root = json.RootElement;
        if (root.ValueKind != JsonValueKind.Object) return Invalid("body", "The body must be a JSON object.");
        if (options.Of(department) is not { } settings)
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "No payment accounts",
                detail: $"Department '{department}' has no gateway account in {PaymentsOptions.SectionName}:Departments.");

        var billId = JsonFields.Text(root, "billId", errors, max: 64);
        var amountText = JsonFields.Text(root, "amount", errors, max: 24);
        var currencyText = JsonFields.Text(root, "currency", errors, max: 3);
        var accountName = JsonFields.Text(root, "account", errors, max: 40);
        var method = JsonFields.Text(root, "method", errors, max: 20) ?? PaymentMethods.HostedCheckout;
        var description = JsonFields.Text(root, "description", errors, max: 100);
        var returnUrl = JsonFields.Text(root, "returnUrl", errors, max: 2000);
        string? mobile = null, cnic = null;
        if (root.TryGetProperty("payer", out var payer) && payer.ValueKind == JsonValueKind.Object)
        {
            mobile = JsonFields.Text(payer, "mobile", errors, max: 11, prefix: "payer.");
            cnic = JsonFields.Text(payer, "cnicLast6", errors, max: 6, prefix: "payer.");
        }
        if (method is not (PaymentMethods.HostedCheckout or PaymentMethods.MobileWallet))
            errors["method"] = [$"method is {PaymentMethods.HostedCheckout} or {PaymentMethods.MobileWallet}."];
        if (method == PaymentMethods.MobileWallet && (mobile is not { Length: 11 } || !mobile.StartsWith("03", StringComparison.Ordinal) || !mobile.All(char.IsAsciiDigit)
            || cnic is not { Length: 6 } || !cnic.All(char.IsAsciiDigit)))
            errors["payer"] = ["a mobile-wallet payment needs payer.mobile (03XXXXXXXXX) and payer.cnicLast6 (the CNIC's last six digits)."];
        if (returnUrl is not null && !(Uri.TryCreate(returnUrl, UriKind.Absolute, out var back) && settings.ReturnUrls.Any(r => IsUnder(back, r))))
            errors["returnUrl"] = ["returnUrl must start with one of the department's registered return URLs (Hub:Payments:Departments:{department}:ReturnUrls)."];
        if ((billId is null) == (amountText is null))
            errors["billId"] = ["Name a bill (billId) or an amount and currency, not both."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "The payment is not valid");
        if (await Replayed(http, payments, PaymentStatuses.Kind, department, PaymentRoute, key, Convert.ToHexString(SHA256.HashData(body))) is { } replay)
            return replay;

        Money amount;
        string billReference;
        if (billId is not null)
        {
            if (await ledger.Bill(department, billId, http.RequestAborted) is not { } bill) return NotFound("bill", billId);
            if (bill.OutstandingMinor == 0)
                return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Nothing outstanding on the bill",
                    detail: bill.PaidMinor >= bill.AmountMinor ? "The bill is paid." : "Another payment of the bill is under way; it may be retried when that one ends.");
            amount = new Money(bill.OutstandingMinor, bill.Currency);
            billReference = bill.Reference;
            description ??= bill.Items.Count == 1 ? bill.Items[0].Description : $"Bill {bill.Reference}";
        }
        else if (!Money.TryParse(amountText, currencyText, out var free, out var why) || free.Value.IsZero)
            return Invalid("amount", why ?? "amount must be above zero.");
        else
        {
            amount = free.Value;
            billReference = "FREE";
        }

        var accounts = settings.Accounts.Where(a => accountName is null || accountName == "any" || a.Name == accountName).ToList();
        var gateways = http.RequestServices.GetRequiredService<Accounts.PaymentGateways>();
        var chosen = accounts.FirstOrDefault(a => gateways.Of(a.Name) is var g && g.Currencies.Contains(amount.Currency) && g.Methods.Contains(Method(method)));
        if (chosen is null)
            return Invalid("account", accountName is null or "any"
                ? $"None of the department's accounts takes {amount.Currency} by {method}."
                : $"The department has no account '{accountName}' that takes {amount.Currency} by {method}.");

        var now = clock.GetUtcNow();
        var expiresAt = now + options.PaymentExpiry;
        var id = "pay_" + Guid.NewGuid().ToString("N");
        var reference = "H" + Convert.ToHexString(RandomNumberGenerator.GetBytes(9)) + "0"; // 20 characters: JazzCash's limit
        var payment = new NewStatusResource(id, department, now, new Dictionary<string, string>
        {
            ["amount"] = amount.Amount, ["currency"] = amount.Currency, ["gateway"] = chosen.Gateway, ["account"] = chosen.Name, ["reference"] = reference,
            ["billId"] = billId ?? "",
        }, PaymentRoute, key, Convert.ToHexString(SHA256.HashData(body)));
        var accepted = await payments.Status.Accept(http, PaymentStatuses.Kind, payment, bus => bus.SendLocal(new StartPayment(id, department, chosen.Name, reference,
            billId, amount.Minor, amount.Currency, Ascii(billReference, 20), Ascii(description ?? "Payment", 100), method, mobile, cnic, returnUrl, expiresAt)));
        return accepted.Result switch
        {
            Accepted<AcceptedView> ok => ok,
            ValidationProblem invalid => invalid,
            ProblemHttpResult refused => refused,
            var other => throw new InvalidOperationException($"Accept answered {other.GetType().Name}"),
        };
    }

    static Task<Results<Ok<StatusView>, ProblemHttpResult>> ShowRefund(string id, HttpContext http, [FromServices] EndpointRuntime<PaymentsEndpoint> payments) =>
        payments.Status.Show(RefundStatuses.Kind, Department(http), id);

    static async Task<Results<Accepted<AcceptedView>, ValidationProblem, ProblemHttpResult>> RefundPayment(string id, HttpContext http,
        [FromServices] IPaymentLedger ledger, [FromServices] EndpointRuntime<PaymentsEndpoint> payments, [FromServices] TimeProvider clock)
    {
        var department = Department(http);
        var errors = new Dictionary<string, string[]>();
        var key = IdempotencyKeys.Read(http.Request, errors);
        var body = await RequestBodies.ReadLimited(http.Request, MaxBodyBytes);
        if (body is null) return RequestBodies.TooLarge(MaxBodyBytes, "refund");
        using var json = JsonBodies.Parse(body, out var problem);
        if (json is null) return Invalid("body", problem ?? "The body must be JSON.");
        var root = json.RootElement;
        if (root.ValueKind != JsonValueKind.Object) return Invalid("body", "The body must be a JSON object.");
        var amountText = JsonFields.Text(root, "amount", errors, max: 24);
        var reason = JsonFields.Text(root, "reason", errors, required: true, max: 200);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "The refund is not valid");
        var refundRoute = $"POST {PaymentStatuses.Route}/{{id}}/refunds";
        var refundHash = Convert.ToHexString(SHA256.HashData([.. body, .. System.Text.Encoding.UTF8.GetBytes(id)]));
        if (await Replayed(http, payments, RefundStatuses.Kind, department, refundRoute, key, refundHash) is { } replay)
            return replay;
        if (await ledger.Payment(department, id, http.RequestAborted) is not { } payment) return NotFound("payment", id);
        if (payment.State != PaymentStates.Captured)
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Nothing to refund", detail: $"The payment is {payment.State}, not captured.");
        var amount = new Money(payment.RefundableMinor, payment.Currency);
        if (amountText is not null)
        {
            if (!Money.TryParse(amountText, payment.Currency, out var asked, out var why) || asked.Value.IsZero) return Invalid("amount", why ?? "amount must be above zero.");
            amount = asked.Value;
        }
        if (amount.IsZero || amount.Minor > payment.RefundableMinor)
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "More than is left to refund",
                detail: $"{new Money(payment.RefundableMinor, payment.Currency)} of the payment is left to refund.");

        var refundId = "rfd_" + Guid.NewGuid().ToString("N");
        var refund = new NewStatusResource(refundId, department, clock.GetUtcNow(), new Dictionary<string, string>
        {
            ["paymentId"] = id, ["amount"] = amount.Amount, ["currency"] = amount.Currency,
        }, refundRoute, key, refundHash);
        var accepted = await payments.Status.Accept(http, RefundStatuses.Kind, refund,
            bus => bus.SendLocal(new StartRefund(refundId, id, department, amount.Minor, reason!)));
        return accepted.Result switch
        {
            Accepted<AcceptedView> ok => ok,
            ValidationProblem invalid => invalid,
            ProblemHttpResult refused => refused,
            var other => throw new InvalidOperationException($"Accept answered {other.GetType().Name}"),
        };
    }

    /// <summary>
    /// A request repeated with its Idempotency-Key is answered as the first was (or 422 for another body), before any check
    /// that the first request's own effect would now fail (its bill's amount is set aside, its refund taken).
    /// </summary>
    static async Task<Results<Accepted<AcceptedView>, ValidationProblem, ProblemHttpResult>?> Replayed(HttpContext http, EndpointRuntime<PaymentsEndpoint> payments,
        StatusKind kind, string department, string route, string? key, string bodyHash)
    {
        if (key is null || await payments.Status.Store.FindIdempotencyKey(department, route, key) is null) return null;
        // Accept finds the key stored and sends nothing: this resource is never stored.
        var again = new NewStatusResource("replay", department, DateTimeOffset.UtcNow, new Dictionary<string, string>(), route, key, bodyHash);
        return await payments.Status.Accept(http, kind, again, _ => Task.CompletedTask);
    }

    static PaymentMethod Method(string method) => method == PaymentMethods.MobileWallet ? PaymentMethod.MobileWallet : PaymentMethod.HostedCheckout;

    /// <summary>The registered URL itself, or a page below it (a path segment boundary, so /pay does not admit /payevil).</summary>
    static bool IsUnder(Uri url, Uri registered)
    {
        if (url.Scheme != registered.Scheme || url.Authority != registered.Authority) return false;
        var root = registered.AbsolutePath;
        var path = url.AbsolutePath;
        return path == root || path.StartsWith(root.EndsWith('/') ? root : root + "/", StringComparison.Ordinal);
    }

    /// <summary>JazzCash replaces characters such as &lt;&gt;*=%/:'|"{} and hashes before or after is unknown: only letters, digits, spaces and .,- go.</summary>
    static string Ascii(string text, int max) =>
        new string([.. text.Select(c => char.IsAsciiLetterOrDigit(c) || c is ' ' or '.' or ',' or '-' ? c : ' ')]).Trim() is { Length: > 0 } clean
            ? clean[..Math.Min(clean.Length, max)]
            : "Payment";

    static BillView View(BillRow b) => new(b.Id, b.Reference, new Money(b.AmountMinor, b.Currency).Amount, b.AmountMinor, b.Currency,
        new Money(b.PaidMinor, b.Currency).Amount, new Money(b.ReservedMinor, b.Currency).Amount, new Money(b.OutstandingMinor, b.Currency).Amount, b.DueDate,
        b.PayerName, [.. b.Items.Select(i => new ItemView(i.Description, new Money(i.AmountMinor, b.Currency).Amount))], b.CreatedAt);

    static ValidationProblem Invalid(string field, string problem) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [problem] }, title: "The request is not valid");

    static ProblemHttpResult NotFound(string what, string id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: $"No such {what}", detail: $"The department has no {what} '{id}'.");
}

/// <summary>The payments API's own field: a reference every gateway can carry.</summary>
internal static class Fields
{
    /// <summary>A reference the gateways can carry: 1 to 20 ASCII letters and digits.</summary>
    public static string? Reference(JsonElement element, string name, Dictionary<string, string[]> errors, bool required = false)
    {
        var text = JsonFields.Text(element, name, errors, required, 20);
        if (text is not null && !text.All(char.IsAsciiLetterOrDigit))
        {
            errors[name] = [$"{name} is 1 to 20 ASCII letters and digits (what every gateway can carry)."];
            return null;
        }
        return text;
    }
}
