using IntegrationHub.Hosting.Retention;

namespace IntegrationHub.Payments.Ledger;

/// <summary>
/// <c>Hub:Payments:Retention</c>: <c>PayerData</c> (default 400 days: bills' payer name, mobile and e-mail blanked, the
/// amounts kept), <c>Receipts</c> (default 2922 days, eight years, as tax law commonly asks; with their payments) and
/// <c>Callbacks</c> (the record of gateway callbacks, default 90 days), <c>Reconciliations</c> (runs and what they found, 400 days).
/// </summary>
public sealed class PaymentsRetentionOptions : RetentionOptions
{
    public TimeSpan PayerData { get; set; } = TimeSpan.FromDays(400);

    public TimeSpan Receipts { get; set; } = TimeSpan.FromDays(2922);

    public TimeSpan Callbacks { get; set; } = TimeSpan.FromDays(90);

    public TimeSpan Reconciliations { get; set; } = TimeSpan.FromDays(400);

    protected override IEnumerable<string> Problems() =>
        AtLeast(nameof(PayerData), PayerData, TimeSpan.FromDays(1), "400.00:00:00 for 400 days")
            .Concat(AtLeast(nameof(Receipts), Receipts, TimeSpan.FromDays(365), "2922.00:00:00 for eight years"))
            .Concat(AtLeast(nameof(Callbacks), Callbacks, TimeSpan.FromDays(1), "90.00:00:00 for 90 days"))
            .Concat(AtLeast(nameof(Reconciliations), Reconciliations, TimeSpan.FromDays(1), "400.00:00:00 for 400 days"));

    public static PaymentsRetentionOptions From(IConfiguration configuration) => From<PaymentsRetentionOptions>(configuration, PaymentsEndpoint.EndpointName);
}

internal sealed class PaymentsRetentionService(IPaymentLedger ledger, PaymentsRetentionOptions options, PaymentsOptions payments, TimeProvider time,
    ILogger<PaymentsRetentionService> logger) : PruningService<PaymentsRetentionOptions>(options, time, logger)
{
    protected override string Subject => "payer data, receipts, payment callbacks and reconciliation runs";

    public override async Task PruneOnce(CancellationToken cancellationToken)
    {
        // Departments with a retention of their own first, then every other department with the default.
        var own = payments.Departments.Values.Where(d => d.PayerDataRetention is not null).ToList();
        foreach (var department in own)
        {
            var forgotten = await Drain(batch => ledger.ForgetPayers(Time.GetUtcNow() - department.PayerDataRetention!.Value, batch, department.Department, [],
                cancellationToken), cancellationToken);
            if (forgotten > 0)
                Logger.LogInformation("Blanked the payer data of {Rows} bills of department {Department} older than {Retention}", forgotten, department.Department,
                    department.PayerDataRetention);
        }
        var payers = await Drain(batch => ledger.ForgetPayers(Time.GetUtcNow() - Options.PayerData, batch, null, [.. own.Select(d => d.Department)],
            cancellationToken), cancellationToken);
        if (payers > 0) Logger.LogInformation("Blanked the payer data of {Rows} bills older than {Retention}", payers, Options.PayerData);
        var receipts = await Drain(batch => ledger.PruneReceipts(Time.GetUtcNow() - Options.Receipts, batch, cancellationToken), cancellationToken);
        if (receipts > 0) Logger.LogInformation("Pruned {Rows} receipts (with their payments) older than {Retention}", receipts, Options.Receipts);
        var callbacks = await Drain(batch => ledger.PruneCallbacks(Time.GetUtcNow() - Options.Callbacks, batch, cancellationToken), cancellationToken);
        if (callbacks > 0) Logger.LogInformation("Pruned {Rows} payment callback records older than {Retention}", callbacks, Options.Callbacks);
        var runs = await Drain(batch => ledger.PruneRuns(Time.GetUtcNow() - Options.Reconciliations, batch, cancellationToken), cancellationToken);
        if (runs > 0) Logger.LogInformation("Pruned {Rows} reconciliation runs older than {Retention}", runs, Options.Reconciliations);
    }
}
