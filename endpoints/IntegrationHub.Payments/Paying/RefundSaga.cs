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
/// One refund: <see cref="StartRefund"/> → its timeout requested first → the amount set aside on the payment (refused when
/// the payment has less left to refund, so concurrent refunds never add up to more than was captured) → the gateway
/// asked → completed (<see cref="RefundCompleted"/>), failed, or pending until the gateway's refund event or the timeout
/// (then <c>unknown</c>, as is a JazzCash refund whose first attempt may have reached it: never sent twice).
/// </summary>
public sealed class RefundSaga(IBus bus, IPaymentLedger ledger, PaymentsOptions options, EndpointRuntime<PaymentsEndpoint> payments, IMessageContext context,
    TimeProvider time, ILogger<RefundSaga> logger) : Saga<RefundData>,
    IAmInitiatedBy<StartRefund>,
    IHandleMessages<RefundGatewayAnswered>,
    IAmInitiatedBy<RefundCallbackReceived>,
    IHandleMessages<RefundTimedOut>
{
    protected override void CorrelateMessages(ICorrelationConfig<RefundData> config)
    {
        config.Correlate<StartRefund>(m => m.RefundId, d => d.RefundId);
        config.Correlate<RefundGatewayAnswered>(m => m.RefundId, d => d.RefundId);
        config.Correlate<RefundCallbackReceived>(m => m.RefundId, d => d.RefundId);
        config.Correlate<RefundTimedOut>(m => m.RefundId, d => d.RefundId);
    }

    public async Task Handle(StartRefund message)
    {
        if (!IsNew) return;
        Data.RefundId = message.RefundId;
        Data.PaymentId = message.PaymentId;
        Data.Department = DepartmentRegistry.Normalize(message.Department);
        Data.AmountMinor = message.AmountMinor;
        await bus.DeferLocal(options.RefundTimeout, new RefundTimedOut(message.RefundId));
        var payment = await ledger.Payment(Data.Department, message.PaymentId, CancellationToken.None);
        if (payment is null)
        {
            await End(RefundStates.Failed, "no_such_payment");
            return;
        }
        Data.Currency = payment.Currency;
        Data.Account = payment.Account;
        if (!await ledger.OpenRefund(new RefundRow(Data.Department, message.RefundId, message.PaymentId, message.AmountMinor, payment.Currency, message.Reason,
                RefundStates.Pending, time.GetUtcNow())))
        {
            await End(RefundStates.Failed, "exceeds_refundable", opened: false);
            return;
        }
        await bus.SendLocal(new CallGatewayRefund(message.RefundId, payment.Account, payment.Reference, payment.GatewayId, message.AmountMinor, payment.Currency,
            payment.Instrument ?? (payment.Method == PaymentMethods.MobileWallet ? "MWALLET" : null), message.Reason));
        await Status(RefundStatuses.Refunding, "refunding", $"{new Money(message.AmountMinor, payment.Currency)} asked of {payment.Gateway}");
    }

    public Task Handle(RefundGatewayAnswered message) => Apply(message.State, message.GatewayRefundId, message.Code);

    public async Task Handle(RefundCallbackReceived message)
    {
        if (IsNew)
        {
            // The refund ended before the gateway's event (or is not the hub's): the event is recorded, and the hub's record stands.
            MarkAsComplete();
            var row = await FindRefund(message.RefundId);
            logger.LogWarning("Refund event {EventId} ({State}) of account {Account} for refund {RefundId}, which {Standing}; check it against the gateway",
                message.EventId, message.State, message.Account, message.RefundId, row is null ? "the hub does not know" : $"ended {row.State}");
            return;
        }
        if (message.Account != Data.Account)
        {
            logger.LogWarning("A refund event verified for account {Account} names refund {RefundId} of account {Own}; ignored", message.Account, message.RefundId, Data.Account);
            return;
        }
        if (Data.SeenEvents.Contains(message.EventId)) return;
        Data.SeenEvents.Add(message.EventId);
        await Apply(message.State, message.GatewayRefundId, message.Code);
    }

    public Task Handle(RefundTimedOut message) =>
        End(RefundStates.Unknown, $"no outcome from the gateway within {options.RefundTimeout}");

    async Task Apply(string state, string? gatewayRefundId, string code)
    {
        Data.GatewayRefundId ??= gatewayRefundId;
        switch (state)
        {
            case "completed":
                await ledger.CloseRefund(Data.Department, Data.RefundId, RefundStates.Completed, Data.GatewayRefundId);
                var money = new Money(Data.AmountMinor, Data.Currency);
                var now = time.GetUtcNow();
                await bus.Publish(new RefundCompleted(Data.RefundId, Data.PaymentId, Data.Department, Data.AmountMinor, Data.Currency, money.Amount, code, now));
                await Status(RefundStatuses.Completed, "completed", $"{money} refunded",
                    result: new JsonObject { ["amount"] = money.Amount, ["currency"] = Data.Currency, ["gatewayRefundId"] = Data.GatewayRefundId }.ToJsonString());
                logger.LogInformation("Refund {RefundId} of payment {PaymentId}: {Amount} refunded", Data.RefundId, Data.PaymentId, money);
                MarkAsComplete();
                break;
            case "failed":
                await End(RefundStates.Failed, code);
                break;
            case "unknown":
                await End(RefundStates.Unknown, code);
                break;
            default:
                await Status(RefundStatuses.Pending, "pending at the gateway", $"{code}; waiting for the gateway's refund event");
                break;
        }
    }

    async Task End(string state, string code, bool opened = true)
    {
        if (opened) await ledger.CloseRefund(Data.Department, Data.RefundId, state, Data.GatewayRefundId);
        await bus.Publish(new RefundFailed(Data.RefundId, Data.PaymentId, Data.Department, Data.AmountMinor, Data.Currency, state, code, time.GetUtcNow()));
        var reason = state == RefundStates.Unknown
            ? $"the refund's outcome is unknown ({code}); check it with the gateway before refunding again"
            : $"the refund failed: {code}";
        await Status(state == RefundStates.Unknown ? RefundStatuses.Unknown : RefundStatuses.Failed, state, reason, error: reason);
        logger.LogWarning("Refund {RefundId} of payment {PaymentId} {State}: {Code}", Data.RefundId, Data.PaymentId, state, code);
        MarkAsComplete();
    }

    /// <summary>Refund ids carry no department: the ledger is asked for the refund under each configured department.</summary>
    async Task<RefundRow?> FindRefund(string refundId)
    {
        foreach (var department in options.Departments.Keys)
            if (await ledger.Refund(department, refundId, CancellationToken.None) is { } row)
                return row;
        return null;
    }

    Task Status(string status, string step, string detail, string? result = null, string? error = null) =>
        payments.Status.Apply(RefundStatuses.Kind, new StatusUpdate(Data.RefundId, Data.Department, context.Headers[Headers.MessageId], status, step, detail,
            time.GetUtcNow(), result, error));
}

public sealed class RefundData : SagaData
{
    public string RefundId { get; set; } = "";
    public string PaymentId { get; set; } = "";
    public string Department { get; set; } = "";
    public long AmountMinor { get; set; }
    public string Currency { get; set; } = "";
    public string Account { get; set; } = "";
    public string? GatewayRefundId { get; set; }
    public List<string> SeenEvents { get; set; } = [];
}

/// <summary>Refunds as status resources (<c>GET /api/v1/payments/refunds/{id}</c>).</summary>
public static class RefundStatuses
{
    public const string Route = "/api/v1/payments/refunds";
    public const string Accepted = "accepted";
    public const string Refunding = "refunding";
    public const string Pending = "pending";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Unknown = "unknown";

    public static StatusKind Kind { get; } = new("refund", [Accepted, Refunding, Pending], [Completed, Failed, Unknown], Route, IdAlias: "refundId");
}
