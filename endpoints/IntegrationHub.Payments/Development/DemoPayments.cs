using IntegrationHub.Adapters.JazzCash;
using IntegrationHub.Adapters.Payments.Simulator;
using IntegrationHub.Adapters.Stripe;
using IntegrationHub.Payments.Accounts;
using IntegrationHub.Payments.Ledger;
using IntegrationHub.Payments.Paying;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace IntegrationHub.Payments.Development;

/// <summary>
/// For the embedded demo only (<c>Hub:Simulators:Enabled</c>): Stripe and JazzCash simulated on free loopback ports,
/// department <c>demo</c> with accounts <c>demo-stripe</c> (USD, PKR, INR) and <c>demo-jazzcash</c> (PKR), a registered
/// return page, and a route that plays the payer: <c>POST /dev/payments/{paymentId}/pay</c> (<c>{"outcome":"paid"}</c>
/// or <c>"declined"</c>) pays through the gateway's simulator, which then calls the hub back as the real one would.
/// </summary>
internal static class DemoPayments
{
    public const string Department = "demo";
    public const string StripeAccount = "demo-stripe";
    public const string JazzCashAccount = "demo-jazzcash";
    public const string ReturnPath = "/dev/payments/returned";

    public static void Add(IHostApplicationBuilder builder)
    {
        var stripe = StripeSimulator.Start();
        var jazz = JazzCashSimulator.Start();
        var publicBase = builder.Configuration["Hub:PublicBaseUrl"] ?? "http://127.0.0.1:5080";
        builder.Configuration.AddInMemoryCollection(Settings(stripe, jazz, new Uri(new Uri(publicBase), ReturnPath)));
        builder.Services.AddSingleton(_ => stripe); // made by factories, so the container disposes them with the host
        builder.Services.AddSingleton(_ => jazz);
        builder.Services.AddHostedService<DemoPaymentsStart>();
    }

    /// <summary>The settings that give department <c>demo</c> its two simulated accounts.</summary>
    public static Dictionary<string, string?> Settings(StripeSimulator stripe, JazzCashSimulator jazz, Uri returnUrl, string department = Department)
    {
        var prefix = $"{PaymentsOptions.SectionName}:Departments:{department}";
        var stripeOptions = stripe.Options(StripeAccount);
        var jazzOptions = jazz.Options(JazzCashAccount);
        return new Dictionary<string, string?>
        {
            [$"{prefix}:ReturnUrls:0"] = returnUrl.ToString(),
            [$"{prefix}:FiscalYearStartMonth"] = "7",
            [$"{prefix}:TimeZone"] = "Asia/Karachi",
            [$"{prefix}:Accounts:{StripeAccount}:Gateway"] = StripeGateway.Name,
            [$"{prefix}:Accounts:{StripeAccount}:SecretKey"] = stripeOptions.SecretKey,
            [$"{prefix}:Accounts:{StripeAccount}:PublishableKey"] = stripeOptions.PublishableKey,
            [$"{prefix}:Accounts:{StripeAccount}:WebhookSecrets:0"] = stripeOptions.WebhookSecrets[0],
            [$"{prefix}:Accounts:{StripeAccount}:ApiBase"] = stripe.ApiBase.ToString(),
            [$"{prefix}:Accounts:{StripeAccount}:Currencies:0"] = "USD",
            [$"{prefix}:Accounts:{StripeAccount}:Currencies:1"] = "PKR",
            [$"{prefix}:Accounts:{StripeAccount}:Currencies:2"] = "INR",
            [$"{prefix}:Accounts:{JazzCashAccount}:Gateway"] = JazzCashGateway.Name,
            [$"{prefix}:Accounts:{JazzCashAccount}:MerchantId"] = jazzOptions.MerchantId,
            [$"{prefix}:Accounts:{JazzCashAccount}:Password"] = jazzOptions.Password,
            [$"{prefix}:Accounts:{JazzCashAccount}:IntegritySalt"] = jazzOptions.IntegritySalt,
            [$"{prefix}:Accounts:{JazzCashAccount}:MerchantMpin"] = jazzOptions.MerchantMpin,
            [$"{prefix}:Accounts:{JazzCashAccount}:ApiBaseUrl"] = jazzOptions.ApiBaseUrl.ToString(),
            [$"{prefix}:Accounts:{JazzCashAccount}:CheckoutUrl"] = jazzOptions.CheckoutUrl.ToString(),
        };
    }

    public static void Map(IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/dev/payments").ExcludeFromDescription().AllowAnonymous();
        group.MapPost("/{paymentId}/pay", async (string paymentId, DemoPay? body, IPaymentLedger ledger, PaymentGateways gateways, PaymentsOptions options,
            StripeSimulator stripe, JazzCashSimulator jazz, IHttpClientFactory clients) =>
        {
            var paid = body?.Outcome is null or "paid";
            if (await ledger.Payment(Department, paymentId, CancellationToken.None) is not { GatewayId: { } gatewayId } row)
                return Results.NotFound(new { error = $"department {Department} has no payment {paymentId} created at a gateway yet" });
            var callback = new Uri(options.PublicBaseUrl, $"/api/v1/payments/callbacks/{row.Gateway}/{row.Account}");
            return await PayAs(row, gatewayId, paid, callback, gateways, stripe, jazz);
        });
        group.MapGet("/returned", (string? paymentId) => Results.Content(
            $"<!doctype html><html><body><h1>Back at the department</h1><p>Payment {System.Net.WebUtility.HtmlEncode(paymentId)} is being confirmed.</p></body></html>",
            "text/html; charset=utf-8"));
    }

    /// <summary>The payer pays (or is declined) through the simulator of the payment's gateway, which tells the hub.</summary>
    internal static async Task<IResult> PayAs(PaymentRow row, string gatewayId, bool paid, Uri callback, PaymentGateways gateways, StripeSimulator stripe,
        JazzCashSimulator jazz)
    {
        if (row.Gateway == StripeGateway.Name)
        {
            var eventId = paid ? await stripe.Pay(gatewayId) : await stripe.Decline(gatewayId);
            return Results.Json(new { gateway = row.Gateway, eventSent = eventId });
        }
        if (row.Method == PaymentMethods.MobileWallet)
        {
            if (paid) await jazz.ApproveWallet(row.Reference);
            else await jazz.DeclineWallet(row.Reference);
            return Results.Json(new { gateway = row.Gateway, ipnSent = jazz.IpnUrl is not null });
        }
        // The payer's browser: the hub's form posted to JazzCash, the payment made there, the result posted back to the hub.
        var created = await gateways.Of(row.Account).Create(PaymentGatewayCallHandler.Order(new CallPaymentGateway("", PaymentGatewayCallHandler.Create, row.Account,
            row.Reference, gatewayId, row.AmountMinor, row.Currency, row.BillReference, row.Description, row.Method, row.CreatedAt, row.ExpiresAt, callback.ToString(),
            null, null)));
        var form = (Adapters.Payments.Checkout.AutoPostForm)created.Checkout!;
        await jazz.PostForm(form.Action, form.Fields);
        var result = jazz.CompleteCheckout(row.Reference, paid ? JazzCashCodes.Success : JazzCashCodes.CancelledByUser);
        var (status, location) = await jazz.PostForm(callback, result);
        return Results.Json(new { gateway = row.Gateway, returnPostAnswered = status, payerSentTo = status is >= 300 and < 400 ? location : null });
    }

    public sealed record DemoPay(string? Outcome);

    /// <summary>Once the hub listens, the simulators call it back there.</summary>
    sealed class DemoPaymentsStart(StripeSimulator stripe, JazzCashSimulator jazz, IServer server, IHostApplicationLifetime lifetime, ILogger<DemoPaymentsStart> logger)
        : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            lifetime.ApplicationStarted.Register(() =>
            {
                var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
                if (address is null) return; // a test server: the test points the simulators at it
                var local = address.Replace("://+", "://127.0.0.1").Replace("://*", "://127.0.0.1").Replace("://[::]", "://127.0.0.1").Replace("://0.0.0.0", "://127.0.0.1").TrimEnd('/');
                stripe.SendingEventsTo(new Uri($"{local}/api/v1/payments/callbacks/{StripeGateway.Name}/{StripeAccount}"));
                jazz.SendingIpnsTo(new Uri($"{local}/api/v1/payments/callbacks/{JazzCashGateway.Name}/{JazzCashAccount}"));
                logger.LogWarning("SIMULATED Stripe at {Stripe} and JazzCash at {JazzCash} for department {Department} (Hub:Simulators:Enabled)",
                    stripe.ApiBase, jazz.BaseUrl, Department);
            });
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
