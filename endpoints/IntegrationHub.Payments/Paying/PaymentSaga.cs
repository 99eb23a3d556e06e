using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Adapters.Payments;
using IntegrationHub.Contracts.Payments.Commands;
using IntegrationHub.Contracts.Payments.Events;
using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Departments;
using IntegrationHub.Payments.Ledger;
using Rebus.Bus;
using Rebus.Handlers;
using Rebus.Messages;
using Rebus.Pipeline;
using Rebus.Sagas;

namespace IntegrationHub.Payments.Paying;

/// <summary>
/// One payment, from <see cref="StartPayment"/> to captured, failed or expired (docs/payments.md): the expiry requested
/// first; the bill's amount set aside (or the payment failed when another checkout holds it); the order created at the
/// gateway and what the payer needs put in the status; then whatever comes first — a verified callback, the answer to a
/// question asked of a silent gateway (again and again, each wait twice the last), the expiry (the order cancelled where
/// the gateway can, and asked once more, since money may have come meanwhile). A capture issues the receipt in the same
/// transaction and publishes <see cref="PaymentCaptured"/>. Money that comes after the end is still recorded, flagged.
/// </summary>
public sealed class PaymentSaga(IBus bus, IPaymentLedger ledger, PaymentsOptions options, EndpointRuntime<PaymentsEndpoint> payments,
    IMessageContext context, TimeProvider time, ILogger<PaymentSaga> logger) : Saga<PaymentData>,
    IAmInitiatedBy<StartPayment>,
    IAmInitiatedBy<PaymentGatewayAnswered>,
    IAmInitiatedBy<PaymentCallbackReceived>,
    IHandleMessages<PaymentPollDue>,
    IHandleMessages<PaymentExpiryDue>
{
    protected override void CorrelateMessages(ICorrelationConfig<PaymentData> config)
    {
        config.Correlate<StartPayment>(m => PaymentKeys.Of(m.Department, m.PaymentId), d => d.PaymentKey);
        config.Correlate<PaymentGatewayAnswered>(m => m.PaymentKey, d => d.PaymentKey);
        config.Correlate<PaymentCallbackReceived>(m => m.Reference, d => d.Reference);
        config.Correlate<PaymentPollDue>(m => m.PaymentKey, d => d.PaymentKey);
        config.Correlate<PaymentExpiryDue>(m => m.PaymentKey, d => d.PaymentKey);
    }

    public async Task Handle(StartPayment message)
    {
        if (!IsNew) return; // a redelivered start changes nothing
        Data.PaymentKey = PaymentKeys.Of(message.Department, message.PaymentId);
        Data.Reference = message.Reference;
        Data.PaymentId = message.PaymentId;
        Data.Department = DepartmentRegistry.Normalize(message.Department);
        Data.Account = message.Account;
        Data.Gateway = options.Accounts.First(a => a.Name == message.Account).Gateway;
        Data.BillId = message.BillId;
        Data.AmountMinor = message.AmountMinor;
        Data.Currency = message.Currency;
        Data.ExpiresAt = message.ExpiresAt;
        Data.PollDelay = options.PollAfter;
        await bus.DeferLocal(Later(message.ExpiresAt), new PaymentExpiryDue(Data.PaymentKey));

        var now = time.GetUtcNow();
        var opened = await ledger.Open(new PaymentRow(Data.Department, message.PaymentId, message.Account, Data.Gateway, message.Reference, message.BillId,
            message.AmountMinor, message.Currency, message.BillReference, message.Description, message.Method, message.ReturnUrl, now, message.ExpiresAt,
            PaymentStates.Pending));
        if (!opened)
        {
            await End(PaymentStates.Failed, "bill_already_reserved", "the bill's outstanding amount is taken by another payment or already paid");
            return;
        }
        await bus.SendLocal(new CallPaymentGateway(Data.PaymentKey, PaymentGatewayCallHandler.Create, message.Account, message.Reference, null,
            message.AmountMinor, message.Currency, message.BillReference, message.Description, message.Method, now, message.ExpiresAt,
            GatewayReturnUrl(), message.WalletMobile, message.WalletIdentityDigits));
        await Status(PaymentStatuses.Creating, "creating", $"order {message.Reference} sent to {Data.Gateway}");
    }

    public async Task Handle(PaymentGatewayAnswered message)
    {
        if (IsNew)
        {
            // The gateway answered after the payment ended (a retried question): money it reports is still recorded.
            MarkAsComplete();
            var (department, id) = PaymentKeys.Split(message.PaymentKey);
            if (message.State == "captured" && await ledger.Payment(department, id, CancellationToken.None) is { } ended)
                await CaptureLate(ended, message.AmountMinor, message.Instrument);
            return;
        }
        if (Data.Finished) return;
        if (message.Call == PaymentGatewayCallHandler.Create && Data.GatewayId is null)
        {
            Data.GatewayId = message.GatewayId;
            string? tokenHash = null;
            JsonObject? checkout = null;
            if (message.CheckoutKind == "form")
            {
                // The form's fields carry the merchant's password: the payer gets a hub page that posts it, behind a token.
                var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
                tokenHash = CheckoutTokens.Hash(token);
                checkout = new JsonObject { ["kind"] = "form", ["url"] = new Uri(options.PublicBaseUrl, $"/api/v1/payments/{Data.PaymentId}/checkout/{token}").ToString() };
            }
            else if (message.CheckoutKind is { } kind)
                checkout = kind == "stripe"
                    ? new JsonObject { ["kind"] = kind, ["clientSecret"] = message.CheckoutSecret, ["publishableKey"] = message.CheckoutMessage }
                    : new JsonObject { ["kind"] = kind, ["message"] = message.CheckoutMessage };
            if (message.GatewayId is not null) await ledger.SetGatewayId(Data.Department, Data.PaymentId, message.GatewayId, tokenHash);
            if (message.State == "pending")
            {
                await Status(PaymentStatuses.AwaitingPayment, "awaiting payment", $"the payer can pay until {Data.ExpiresAt:u}",
                    result: new JsonObject { ["checkout"] = checkout, ["expiresAt"] = Data.ExpiresAt }.ToJsonString());
                await bus.DeferLocal(Data.PollDelay, new PaymentPollDue(Data.PaymentKey));
                return;
            }
        }
        await Apply(message.State, message.AmountMinor, message.Code, message.Instrument, fromGateway: true, fromCancel: message.Call == PaymentGatewayCallHandler.Cancel);
    }

    public async Task Handle(PaymentCallbackReceived message)
    {
        if (IsNew)
        {
            await Late(message);
            return;
        }
        if (message.Gateway != Data.Gateway || message.Account != Data.Account)
        {
            // Verified by another account's secret: it says nothing about money paid to this one.
            logger.LogWarning("A {Gateway} callback verified for account {Account} names payment {PaymentId} of account {Own}; ignored",
                message.Gateway, message.Account, Data.PaymentId, Data.Account);
            return;
        }
        if (Data.SeenEvents.Contains(message.EventId)) return; // the same event twice
        Data.SeenEvents.Add(message.EventId);
        if (Data.Finished) return;
        if (message.FromBrowser)
        {
            // What the browser carried is signed but replayable: the gateway itself is asked before it counts.
            await Ask(PaymentGatewayCallHandler.Status);
            return;
        }
        await Apply(message.State, message.AmountMinor, message.Code, message.Instrument, fromGateway: false, fromCancel: false);
    }

    public async Task Handle(PaymentPollDue message)
    {
        if (Data.Finished || time.GetUtcNow() >= Data.ExpiresAt) return;
        await Ask(PaymentGatewayCallHandler.Status);
        Data.PollDelay = TimeSpan.FromTicks(Math.Min(Data.PollDelay.Ticks * 2, options.MaxPollInterval.Ticks));
        if (time.GetUtcNow() + Data.PollDelay < Data.ExpiresAt)
            await bus.DeferLocal(Data.PollDelay, new PaymentPollDue(Data.PaymentKey));
    }

    public async Task Handle(PaymentExpiryDue message)
    {
        if (Data.Finished) return;
        Data.Expiring = true;
        await Ask(PaymentGatewayCallHandler.Cancel);
    }

    /// <param name="fromCancel">The answer to the cancel asked at expiry or after a decline: only it may end a payment that did not capture.</param>
    async Task Apply(string state, long? amountMinor, string code, string? instrument, bool fromGateway, bool fromCancel)
    {
        switch (state)
        {
            case "captured":
                await Capture(amountMinor ?? Data.AmountMinor, instrument);
                break;
            case "failed" or "not-found" or "pending" when fromCancel && Data.FailCode is { } declined:
                await End(PaymentStates.Failed, declined, $"{Data.Gateway} reported the payment failed ({declined})");
                break;
            case "failed" or "not-found" or "pending" when fromCancel:
                // Cancelled at the gateway (Stripe says canceled), unknown to it, or still unpaid: the payment expired.
                await End(PaymentStates.Expired, code, $"not paid by {Data.ExpiresAt:u}");
                break;
            case "failed" when Data.Gateway == Adapters.Stripe.StripeGateway.Name:
                // A declined PaymentIntent can still be paid with another card: it is cancelled before the payment counts as failed.
                if (Data.FailCode is null)
                {
                    Data.FailCode = code;
                    await Ask(PaymentGatewayCallHandler.Cancel);
                }
                break;
            case "failed":
                await End(PaymentStates.Failed, code, $"{Data.Gateway} reported the payment failed ({code})");
                break;
            default:
                if (fromGateway) logger.LogDebug("Payment {PaymentId}: {Gateway} says {State} ({Code})", Data.PaymentId, Data.Gateway, state, code);
                break;
        }
    }

    async Task Capture(long capturedMinor, string? instrument)
    {
        var department = options.Of(Data.Department)!;
        var now = time.GetUtcNow();
        var captured = await ledger.Capture(Data.Department, Data.PaymentId, capturedMinor, instrument,
            ReceiptNumbers.FiscalYear(now, department.FiscalYearStartMonth, department.TimeZone), now);
        await RefundExcess(department, Data.Department, Data.PaymentId, captured);
        var money = new Money(capturedMinor, Data.Currency);
        await bus.Publish(new PaymentCaptured(Data.PaymentId, Data.Department, Data.BillId, Data.Gateway, Data.Account, capturedMinor, Data.Currency,
            money.Amount, captured.Receipt.Number, captured.Flag, now));
        await Status(PaymentStatuses.Captured, "captured", $"{money} captured, receipt {captured.Receipt.Number}" + (captured.Flag is { } f ? $" (flagged: {f})" : ""),
            result: new JsonObject
            {
                ["receiptNumber"] = captured.Receipt.Number, ["amount"] = money.Amount, ["currency"] = Data.Currency, ["flag"] = captured.Flag,
                ["receiptUrl"] = $"/api/v1/payments/{Data.PaymentId}/receipt",
            }.ToJsonString());
        logger.LogInformation("Payment {PaymentId} of department {Department}: {Amount} captured through {Gateway}, receipt {Receipt}", Data.PaymentId,
            Data.Department, money, Data.Gateway, captured.Receipt.Number);
        Data.Finished = true;
        MarkAsComplete();
    }

    async Task End(string state, string code, string reason)
    {
        await ledger.Close(Data.Department, Data.PaymentId, state);
        var now = time.GetUtcNow();
        if (state == PaymentStates.Expired)
            await bus.Publish(new PaymentExpired(Data.PaymentId, Data.Department, Data.BillId, Data.Gateway, Data.ExpiresAt, now));
        else
            await bus.Publish(new PaymentFailed(Data.PaymentId, Data.Department, Data.BillId, Data.Gateway, code, now));
        await Status(state == PaymentStates.Expired ? PaymentStatuses.Expired : PaymentStatuses.Failed, state, reason, error: reason);
        logger.LogInformation("Payment {PaymentId} of department {Department} {State}: {Code}", Data.PaymentId, Data.Department, state, code);
        Data.Finished = true;
        MarkAsComplete();
    }

    /// <summary>A callback after the saga ended (or for no payment): money that came late is recorded, flagged, never lost.</summary>
    async Task Late(PaymentCallbackReceived message)
    {
        MarkAsComplete();
        var payment = await ledger.PaymentByReference(message.Reference, CancellationToken.None);
        if (payment is null || payment.Gateway != message.Gateway || payment.Account != message.Account)
        {
            logger.LogWarning("A verified {Gateway} callback of account {Account} for reference {Reference} matches no payment of that account; recorded only",
                message.Gateway, message.Account, message.Reference);
            return;
        }
        if (message.State != "captured" || payment.State == PaymentStates.Captured) return;
        if (message.FromBrowser)
        {
            // The browser's word alone never counts: the gateway is asked, and its answer (a new saga) records what it says.
            await bus.SendLocal(new CallPaymentGateway(PaymentKeys.Of(payment.Department, payment.Id), PaymentGatewayCallHandler.Status, payment.Account,
                payment.Reference, payment.GatewayId, payment.AmountMinor, payment.Currency, "", "", "", time.GetUtcNow(), payment.ExpiresAt, null, null, null));
            return;
        }
        await CaptureLate(payment, message.AmountMinor, message.Instrument);
    }

    async Task CaptureLate(PaymentRow payment, long? capturedMinor, string? instrument)
    {
        if (payment.State == PaymentStates.Captured) return;
        var department = options.Of(payment.Department)!;
        var now = time.GetUtcNow();
        var captured = await ledger.Capture(payment.Department, payment.Id, capturedMinor ?? payment.AmountMinor, instrument,
            ReceiptNumbers.FiscalYear(now, department.FiscalYearStartMonth, department.TimeZone), now);
        await RefundExcess(department, payment.Department, payment.Id, captured);
        var money = new Money(captured.Receipt.AmountMinor, payment.Currency);
        await bus.Publish(new PaymentCaptured(payment.Id, payment.Department, payment.BillId, payment.Gateway, payment.Account, money.Minor, money.Currency,
            money.Amount, captured.Receipt.Number, captured.Flag, now));
        logger.LogWarning("Payment {PaymentId} of department {Department} was {State} but {Amount} was captured later; recorded as receipt {Receipt}, flagged {Flag}",
            payment.Id, payment.Department, payment.State, money, captured.Receipt.Number, captured.Flag);
    }

    /// <summary>Money beyond what was owed goes back to the payer when the department's policy says so (the default).</summary>
    Task RefundExcess(DepartmentPayments department, string departmentName, string paymentId, Captured captured) =>
        captured.ExcessMinor > 0 && department.Overpayment == OverpaymentPolicy.Refund
            ? bus.SendLocal(new StartRefund(ExcessRefundId(paymentId), paymentId, departmentName, captured.ExcessMinor, "overpayment"))
            : Task.CompletedTask;

    /// <summary>One excess refund per payment, whatever redelivers the capture.</summary>
    public static string ExcessRefundId(string paymentId) => "rfx_" + paymentId["pay_".Length..];

    Task Ask(string call) => bus.SendLocal(new CallPaymentGateway(Data.PaymentKey, call, Data.Account, Data.Reference, Data.GatewayId, Data.AmountMinor,
        Data.Currency, "", "", "", time.GetUtcNow(), Data.ExpiresAt, null, null, null));

    /// <summary>Where JazzCash posts the payer's result: the account's callback route (the same one its IPNs use).</summary>
    string GatewayReturnUrl() => new Uri(options.PublicBaseUrl, $"/api/v1/payments/callbacks/{Data.Gateway}/{Data.Account}").ToString();

    TimeSpan Later(DateTimeOffset at) => at - time.GetUtcNow() is { } wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero;

    Task Status(string status, string step, string detail, string? result = null, string? error = null) =>
        payments.Status.Apply(PaymentStatuses.Kind, new StatusUpdate(Data.PaymentId, Data.Department, context.Headers[Headers.MessageId], status, step, detail,
            time.GetUtcNow(), result, error));
}

public sealed class PaymentData : SagaData
{
    public string PaymentKey { get; set; } = "";
    public string Reference { get; set; } = "";
    public string PaymentId { get; set; } = "";
    public string Department { get; set; } = "";
    public string Account { get; set; } = "";
    public string Gateway { get; set; } = "";
    public string? BillId { get; set; }
    public long AmountMinor { get; set; }
    public string Currency { get; set; } = "";
    public DateTimeOffset ExpiresAt { get; set; }
    public string? GatewayId { get; set; }
    public TimeSpan PollDelay { get; set; }
    public bool Expiring { get; set; }
    /// <summary>The decline code of a Stripe payment being cancelled before it counts as failed.</summary>
    public string? FailCode { get; set; }
    public bool Finished { get; set; }
    public List<string> SeenEvents { get; set; } = [];
}

public static class PaymentKeys
{
    public static string Of(string department, string paymentId) => $"{DepartmentRegistry.Normalize(department)}/{paymentId}";

    public static (string Department, string PaymentId) Split(string key) => key.IndexOf('/') is var slash and > 0
        ? (key[..slash], key[(slash + 1)..])
        : throw new ArgumentException($"'{key}' is not a payment key (department/paymentId)");
}

public static class CheckoutTokens
{
    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(token)));

    public static bool Matches(string token, string? hash) =>
        hash is { Length: 64 } && token.Length <= 128 && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Hash(token)), Encoding.ASCII.GetBytes(hash));
}

/// <summary>Payments as status resources.</summary>
public static class PaymentStatuses
{
    public const string Route = "/api/v1/payments";
    public const string Accepted = "accepted";
    public const string Creating = "creating";
    public const string AwaitingPayment = "awaiting-payment";
    public const string Captured = "captured";
    public const string Failed = "failed";
    public const string Expired = "expired";

    public static StatusKind Kind { get; } = new("payment", [Accepted, Creating, AwaitingPayment], [Captured, Failed, Expired], Route, IdAlias: "paymentId");
}
