using IntegrationHub.Adapters;
using IntegrationHub.Adapters.Payments;
using IntegrationHub.Hosting.Outbound;
using IntegrationHub.Payments.Accounts;
using Rebus.Bus;
using Rebus.Handlers;

namespace IntegrationHub.Payments.Paying;

/// <summary>
/// Calls the account's gateway for the saga (an external call: the attempt recorded first, no transaction held while the
/// gateway answers) and replies what it said. A create repeated after a crash asks the gateway's status first and only
/// creates again when the gateway knows nothing (Stripe's idempotency key would also find the first). A gateway that
/// cannot be reached is thrown (retried, then the error queue); one that refuses for good fails the payment.
/// </summary>
internal sealed class PaymentGatewayCallHandler(IBus bus, PaymentGateways gateways, OutboundCalls calls, ILogger<PaymentGatewayCallHandler> logger)
    : IHandleMessages<CallPaymentGateway>, IHandleMessages<CallGatewayRefund>
{
    public const string Create = "create";
    public const string Status = "status";
    public const string Cancel = "cancel";

    public async Task Handle(CallPaymentGateway message)
    {
        var gateway = gateways.Of(message.Account);
        PaymentGatewayAnswered answer;
        try
        {
            answer = await calls.Make(new OutboundCall($"payments:{gateway.Gateway}:{message.Account}", $"{message.Call}:{message.Reference}"),
                ct => Send(gateway, message, ct),
                status: message.Call == Create ? ct => Repeated(gateway, message, ct) : null,
                describe: a => $"{a.State} {a.Code}".Trim());
        }
        catch (ExternalSystemException e) when (!e.Retryable)
        {
            logger.LogError("Payment {Reference}: {Gateway} account {Account} refused the {Call} for good: {Reason}", message.Reference, gateway.Gateway,
                message.Account, message.Call, e.Message);
            answer = new PaymentGatewayAnswered(message.PaymentKey, message.Call, message.GatewayId, "failed", null, e.Kind.ToString(), null, null, null);
        }
        await bus.Reply(answer);
    }

    public async Task Handle(CallGatewayRefund message)
    {
        var gateway = gateways.Of(message.Account);
        RefundGatewayAnswered answer;
        try
        {
            var refund = await calls.Make(new OutboundCall($"payments:{gateway.Gateway}:{message.Account}", $"refund:{message.RefundId}"),
                async ct => await gateway.Refund(new RefundOrder(message.RefundId, message.PaymentReference, message.PaymentGatewayId,
                    new Money(message.AmountMinor, message.Currency), message.Instrument, message.Reason), ct),
                // A gateway without refund references would refund twice: an attempt that may have reached it is not repeated.
                status: gateway.RefundsAreIdempotent ? null : _ => Task.FromResult<GatewayRefund?>(new GatewayRefund(message.RefundId, null, RefundState.Pending, "unknown-after-retry")),
                describe: r => $"{r.State} {r.Code}".Trim());
            answer = new RefundGatewayAnswered(message.RefundId, refund.Code == "unknown-after-retry" ? "unknown" : refund.State switch
            {
                RefundState.Completed => "completed",
                RefundState.Failed => "failed",
                _ => "pending",
            }, refund.GatewayId, refund.Code);
        }
        catch (ExternalSystemException e) when (!e.Retryable)
        {
            logger.LogError("Refund {RefundId}: {Gateway} account {Account} refused it for good: {Reason}", message.RefundId, gateway.Gateway, message.Account, e.Message);
            answer = new RefundGatewayAnswered(message.RefundId, "failed", null, e.Kind.ToString());
        }
        await bus.Reply(answer);
    }

    static async Task<PaymentGatewayAnswered> Send(IPaymentGateway gateway, CallPaymentGateway message, CancellationToken ct)
    {
        switch (message.Call)
        {
            case Create:
                var created = await gateway.Create(Order(message), ct);
                var (kind, secret, text) = created.Checkout switch
                {
                    Checkout.ClientSecret s => ("stripe", s.Secret, s.PublishableKey),
                    Checkout.AutoPostForm => ("form", null, null),
                    Checkout.Redirect r => ("redirect", null, r.Url.ToString()),
                    Checkout.ApproveOnPhone p => ("approve-on-phone", null, p.Message),
                    _ => ((string?)null, (string?)null, (string?)null),
                };
                return Answer(message, created.Payment with { GatewayId = created.GatewayId }, kind, secret, text);
            case Status:
                return Answer(message, await gateway.Status(message.Reference, message.GatewayId, ct));
            case Cancel:
                return Answer(message, await gateway.Cancel(message.Reference, message.GatewayId, ct));
            default:
                throw new InvalidOperationException($"Unknown gateway call '{message.Call}'");
        }
    }

    static async Task<PaymentGatewayAnswered?> Repeated(IPaymentGateway gateway, CallPaymentGateway message, CancellationToken ct)
    {
        var status = await gateway.Status(message.Reference, message.GatewayId, ct);
        return status.State == PaymentState.NotFound ? null : Answer(message, status);
    }

    internal static PaymentOrder Order(CallPaymentGateway message) => new(message.Reference, new Money(message.AmountMinor, message.Currency), message.BillReference,
        message.Description, message.Method == PaymentMethods.MobileWallet ? PaymentMethod.MobileWallet : PaymentMethod.HostedCheckout, message.CreatedAt,
        message.ExpiresAt, message.ReturnUrl is null ? null : new Uri(message.ReturnUrl),
        message.WalletMobile is { } mobile ? new WalletPayer(mobile, message.WalletIdentityDigits ?? "") : null);

    static PaymentGatewayAnswered Answer(CallPaymentGateway message, GatewayPayment payment, string? kind = null, string? secret = null, string? text = null) =>
        new(message.PaymentKey, message.Call, payment.GatewayId ?? message.GatewayId, StateName(payment.State), payment.Amount?.Minor, payment.Code, kind, secret, text,
            payment.Instrument);

    public static string StateName(PaymentState state) => state switch
    {
        PaymentState.Captured => "captured",
        PaymentState.Failed => "failed",
        PaymentState.NotFound => "not-found",
        _ => "pending",
    };
}

public static class PaymentMethods
{
    public const string HostedCheckout = "hosted-checkout";
    public const string MobileWallet = "mobile-wallet";
}
