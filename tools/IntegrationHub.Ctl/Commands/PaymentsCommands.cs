using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using IntegrationHub.Contracts.Payments.Commands;
using IntegrationHub.Ctl.Rabbit;
using IntegrationHub.Hosting;
using IntegrationHub.Payments;
using IntegrationHub.Payments.Ledger;
using IntegrationHub.Payments.Reconciliation;
using IntegrationHub.Transport.RabbitMq;
using Rebus.Activation;
using Rebus.Config;
using Rebus.Routing.TypeBased;

namespace IntegrationHub.Ctl.Commands;

/// <summary>
/// <c>hubctl payments reconcile --date … [--account …]</c>: asks the running Payments endpoint (through the broker, since
/// only the hub holds the gateways' secrets) to reconcile that UTC day with the gateways, waits for each run's report in
/// the database and prints the mismatches. Exit code 0: no mismatch; 1: mismatches (or a run that failed); 2: broker,
/// database or endpoint unreachable.
/// </summary>
internal static class PaymentsCommands
{
    public static Command Create()
    {
        var postgres = HubctlDatabase.Option();
        var payments = new Command("payments", "Payments: reconcile the hub's records with the gateways'");
        payments.Options.Add(postgres);
        payments.Subcommands.Add(CreateReconcile(postgres));
        return payments;
    }

    static Command CreateReconcile(Option<string?> postgres)
    {
        var broker = new BrokerOptions();
        var date = new Option<string>("--date") { Description = "The day to reconcile, UTC (yyyy-MM-dd)", Required = true };
        var account = new Option<string?>("--account") { Description = "Only this gateway account (default: every account with payments that day)" };
        var wait = new Option<int>("--wait") { Description = "Seconds to wait for the reports", DefaultValueFactory = _ => 120 };
        wait.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 1 or > 3600) result.AddError("--wait is 1 to 3600 seconds");
        });
        var json = new Option<bool>("--json") { Description = "Print the reports as JSON" };
        var command = new Command("reconcile", "Reconcile one day with the gateways and print every mismatch") { date, account, wait, json, broker.RabbitMq };
        command.Validators.Add(result =>
        {
            if (!DateOnly.TryParseExact(result.GetValue(date), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
                result.AddError("--date is a day such as 2026-12-03");
        });
        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(parseResult, async (output, error) =>
        {
            var day = DateOnly.ParseExact(parseResult.GetValue(date)!, "yyyy-MM-dd", CultureInfo.InvariantCulture);
            var connectionString = HubctlDatabase.ConnectionString(parseResult, postgres);
            var accounts = parseResult.GetValue(account) is { } one
                ? [one]
                : await HubctlDatabase.Run(connectionString, "payments tables", () => ReconciliationRuns.AccountsWithPayments(connectionString, day, cancellationToken));
            if (accounts.Count == 0)
            {
                await output.WriteLineAsync($"no payments on {day:yyyy-MM-dd}: nothing to reconcile (name an account with --account to ask its gateway anyway)");
                return ExitCodes.Ok;
            }

            var uri = parseResult.GetValue(broker.RabbitMq) is { Length: > 0 } given ? given : BrokerConnection.DefaultFromEnvironment();
            var queue = HubEndpoint.QueueNameOf(PaymentsEndpoint.EndpointName);
            await using (var connection = await BrokerConnection.OpenAsync(uri, cancellationToken)) // a clear message when the broker is unreachable
                if (!await BrokerConnection.QueueExistsAsync(connection, queue, cancellationToken))
                    throw new HubCtlException($"the Payments endpoint has never run on this broker ({queue} does not exist): start it, then try again",
                        ExitCodes.Unavailable);
            using var activator = new BuiltinHandlerActivator();
            var bus = Configure.With(activator).Logging(l => l.None()).Transport(t => t.UseHubRabbitMqAsOneWayClient(uri))
                .Routing(r => r.TypeBased().Map<ReconcileAccount>(queue)).Start();
            var runs = accounts.Select(a => $"rec_{a}_{day:yyyyMMdd}_ctl{Guid.NewGuid().ToString("N")[..9]}").ToList();
            foreach (var (name, runId) in accounts.Zip(runs))
                await bus.Send(new ReconcileAccount(runId, name, day, "hubctl"));

            var deadline = DateTimeOffset.UtcNow.AddSeconds(parseResult.GetValue(wait));
            var reports = new List<ReconciliationRun>();
            foreach (var runId in runs)
            {
                ReconciliationRun? run;
                while ((run = await HubctlDatabase.Run(connectionString, "payments tables", () => ReconciliationRuns.Read(connectionString, runId, cancellationToken)))
                       is not { FinishedAt: not null })
                {
                    if (DateTimeOffset.UtcNow > deadline)
                        throw new HubCtlException($"no report for {runId} within {parseResult.GetValue(wait)} s: is the Payments endpoint running ({queue})?",
                            ExitCodes.Unavailable);
                    await Task.Delay(250, cancellationToken);
                }
                reports.Add(run);
            }

            if (parseResult.GetValue(json))
                await output.WriteLineAsync(JsonSerializer.Serialize(reports, ErrorsCommands.Json));
            else
                await Write(output, reports);
            foreach (var failed in reports.Where(r => r.Error is not null))
                await error.WriteLineAsync($"hubctl: reconciliation of {failed.Account} failed: {failed.Error}");
            return reports.Any(r => r.Error is not null || r.Mismatches is { Count: > 0 }) ? ExitCodes.Failed : ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }

    static async Task Write(TextWriter output, IReadOnlyList<ReconciliationRun> reports)
    {
        var rows = reports.SelectMany(r => (r.Mismatches ?? []).Select(m => new[]
        {
            r.Account, m.Kind, m.Reference, m.PaymentId ?? "-", m.HubState ?? "-", m.GatewayState ?? "-",
            m.HubAmountMinor?.ToString(CultureInfo.InvariantCulture) ?? "-", m.GatewayAmountMinor?.ToString(CultureInfo.InvariantCulture) ?? "-", m.Currency,
        })).ToList();
        var summary = string.Join("; ", reports.Select(r => $"{r.Account}: {r.Checked} payment(s) checked, {r.Mismatches?.Count ?? 0} mismatch(es)"));
        if (rows.Count == 0)
        {
            await output.WriteLineAsync($"no mismatches ({summary})");
            return;
        }
        await TextTable.WriteAsync(output, ["ACCOUNT", "KIND", "REFERENCE", "PAYMENT", "HUB", "GATEWAY", "HUB_MINOR", "GATEWAY_MINOR", "CURRENCY"], rows, summary);
    }
}
