using IntegrationHub.Adapters;
using IntegrationHub.Contracts.Payments.Commands;
using IntegrationHub.Contracts.Payments.Events;
using IntegrationHub.Payments.Accounts;
using IntegrationHub.Payments.Ledger;
using Rebus.Bus;
using Rebus.Handlers;

namespace IntegrationHub.Payments.Reconciliation;

/// <summary>
/// Runs one reconciliation (an external call: the gateway is asked with no transaction held): the run recorded as
/// started (a scheduled run of an account and day only once, however many instances got the command), the account's
/// payments of that UTC day compared with the gateway's, a <see cref="ReconciliationMismatch"/> published for each
/// disagreement, and the report kept for <c>hubctl payments reconcile</c> and the ops API. A gateway that cannot be
/// reached ends the run with its error (run it again with hubctl).
/// </summary>
internal sealed class ReconciliationHandler(IBus bus, IPaymentLedger ledger, PaymentGateways gateways, PaymentsOptions options, TimeProvider time,
    ILogger<ReconciliationHandler> logger) : IHandleMessages<ReconcileAccount>
{
    public async Task Handle(ReconcileAccount message)
    {
        var now = time.GetUtcNow();
        if (!await ledger.StartRun(new ReconciliationRun(message.RunId, message.Account, message.Day, message.RequestedBy, now), CancellationToken.None))
        {
            logger.LogInformation("Reconciliation {RunId} of account {Account} for {Day} ran already (another instance, or a redelivery)", message.RunId,
                message.Account, message.Day);
            return;
        }
        if (options.Accounts.FirstOrDefault(a => a.Name == message.Account) is not { } account)
        {
            await ledger.FinishRun(message.RunId, time.GetUtcNow(), 0, [], $"no payment account '{message.Account}'", CancellationToken.None);
            return;
        }
        var from = new DateTimeOffset(message.Day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var hub = await ledger.PaymentsOf(account.Name, from, from.AddDays(1), CancellationToken.None);
        IReadOnlyList<Mismatch> mismatches;
        try
        {
            mismatches = await Reconciler.Compare(hub, gateways.Of(account.Name), from, from.AddDays(1), CancellationToken.None);
        }
        catch (Exception e) when (e is ExternalSystemException or HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            logger.LogError("Reconciliation {RunId} of account {Account} for {Day} could not ask {Gateway}: {Reason}", message.RunId, account.Name, message.Day,
                account.Gateway, e.Message);
            await ledger.FinishRun(message.RunId, time.GetUtcNow(), hub.Count, [], e.Message, CancellationToken.None);
            return;
        }
        foreach (var mismatch in mismatches)
            await bus.Publish(new ReconciliationMismatch(message.RunId, account.Department, account.Gateway, account.Name, message.Day, mismatch.Kind,
                mismatch.Reference, mismatch.PaymentId, mismatch.HubState, mismatch.GatewayState, mismatch.HubAmountMinor, mismatch.GatewayAmountMinor,
                mismatch.Currency, time.GetUtcNow()));
        await ledger.FinishRun(message.RunId, time.GetUtcNow(), hub.Count, mismatches, null, CancellationToken.None);
        var level = mismatches.Count > 0 ? LogLevel.Warning : LogLevel.Information;
        logger.Log(level, "Reconciliation {RunId} of account {Account} for {Day}: {Checked} payment(s) checked, {Mismatches} mismatch(es)", message.RunId,
            account.Name, message.Day, hub.Count, mismatches.Count);
    }
}
