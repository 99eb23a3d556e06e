using IntegrationHub.Contracts.Payments.Commands;
using IntegrationHub.Hosting;

namespace IntegrationHub.Payments.Reconciliation;

/// <summary>
/// Every day at <c>Hub:Payments:Reconciliation:RunAt</c> (UTC, default 02:00) the previous day of every account is
/// reconciled: one <see cref="ReconcileAccount"/> per account with a run id made of account and day, so that with several
/// instances the run happens once (<see cref="Ledger.IPaymentLedger.StartRun"/>). Off with <c>Enabled=false</c>.
/// </summary>
internal sealed class DailyReconciliation(EndpointRuntime<PaymentsEndpoint> payments, PaymentsOptions options, TimeProvider time,
    ILogger<DailyReconciliation> logger) : BackgroundService
{
    public static string RunIdOf(string account, DateOnly day) => $"rec_{account}_{day:yyyyMMdd}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.ReconciliationEnabled) return;
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = time.GetUtcNow();
            var next = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero) + options.ReconciliationRunAt;
            if (next <= now) next = next.AddDays(1);
            await Task.Delay(next - now, time, stoppingToken);
            var day = DateOnly.FromDateTime(next.UtcDateTime.AddDays(-1));
            try
            {
                await using var transaction = payments.Transactions.Begin();
                foreach (var account in options.Accounts)
                    await payments.Bus.SendLocal(new ReconcileAccount(RunIdOf(account.Name, day), account.Name, day, "schedule"));
                await transaction.Complete();
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogError(e, "The daily reconciliation for {Day} could not be started; run it with hubctl payments reconcile --date {Day}", day, day);
            }
        }
    }
}
