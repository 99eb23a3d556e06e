using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using IntegrationHub.Contracts.Webhooks.Commands;
using IntegrationHub.Ctl.Rabbit;
using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Bus;
using IntegrationHub.Hosting.Persistence;
using IntegrationHub.Transport.RabbitMq;
using IntegrationHub.Webhooks.Delivery;
using IntegrationHub.Webhooks.Storage;
using Npgsql;
using Rebus.Activation;
using Rebus.Config;
using Rebus.Routing.TypeBased;

namespace IntegrationHub.Ctl.Commands;

/// <summary><c>hubctl webhooks list|replay</c>: partner webhook deliveries kept by the Webhooks endpoint (PostgreSQL store).</summary>
internal static class WebhooksCommands
{
    const int ErrorColumnWidth = 50;

    public static Command Create()
    {
        var postgres = HubctlDatabase.Option();
        var webhooks = new Command("webhooks", "Partner webhook deliveries: see what failed and replay it");
        webhooks.Options.Add(postgres);
        webhooks.Subcommands.Add(CreateList(postgres));
        webhooks.Subcommands.Add(CreateReplay(postgres));
        return webhooks;
    }

    static Command CreateList(Option<string?> postgres)
    {
        var status = new Option<string?>("--status") { Description = $"Only deliveries in this state ({string.Join(", ", WebhookStatus.All)})" };
        status.AcceptOnlyFromAmong([.. WebhookStatus.All]);
        var department = new Option<string?>("--department") { Description = "Only deliveries of this department" };
        var json = new Option<bool>("--json") { Description = "Print JSON objects (without payloads)" };
        var limit = new Option<int>("--limit", "-n") { Description = "Show at most this many, newest first", DefaultValueFactory = _ => 100 };
        limit.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() <= 0) result.AddError("--limit must be a positive number");
        });

        var command = new Command("list", "List webhook deliveries, newest first") { status, department, json, limit };
        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(parseResult, async (output, _) =>
        {
            var connectionString = HubctlDatabase.ConnectionString(parseResult, postgres);
            var deliveries = await Read(connectionString, reader => reader.List(
                parseResult.GetValue(status), parseResult.GetValue(department), parseResult.GetValue(limit), cancellationToken: cancellationToken));

            if (parseResult.GetValue(json))
                await output.WriteLineAsync(JsonSerializer.Serialize(deliveries.Select(Summary), ErrorsCommands.Json));
            else
                await WriteTableAsync(output, deliveries);
            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }

    static Command CreateReplay(Option<string?> postgres)
    {
        var broker = new BrokerOptions();
        var id = new Argument<string?>("delivery-id") { Description = "Id of the delivery to replay (Hub-Delivery-Id)", Arity = ArgumentArity.ZeroOrOne };
        var allDead = new Option<bool>("--all-dead") { Description = "Replay every dead delivery" };
        var force = new Option<bool>("--force") { Description = "Deliver again even if it was delivered" };
        var command = new Command("replay", "Start a new round of attempts for dead deliveries (same delivery id; receivers dedupe on it)")
        {
            id, allDead, force, broker.RabbitMq,
        };
        command.Validators.Add(result =>
        {
            if (string.IsNullOrWhiteSpace(result.GetValue(id)) == !result.GetValue(allDead))
                result.AddError("specify either a delivery id or --all-dead");
        });

        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(parseResult, async (output, error) =>
        {
            var connectionString = HubctlDatabase.ConnectionString(parseResult, postgres);
            List<WebhookDelivery> toReplay;
            if (parseResult.GetValue(allDead))
            {
                toReplay = (await Read(connectionString, r => r.List(WebhookStatus.Dead, null, int.MaxValue, cancellationToken: cancellationToken))).ToList();
                if (toReplay.Count == 0)
                {
                    await output.WriteLineAsync("No dead webhook deliveries.");
                    return ExitCodes.Ok;
                }
            }
            else
            {
                var deliveryId = parseResult.GetValue(id)!.Trim();
                var delivery = await Read(connectionString, r => r.Get(deliveryId, cancellationToken));
                var refusal = delivery is null
                    ? $"no webhook delivery with id '{deliveryId}'"
                    : WebhookReplayRules.WhyNot(delivery, parseResult.GetValue(force)) is { } why
                        ? $"delivery '{deliveryId}' cannot be replayed: {why.Replace(" (force the replay to deliver it again)", "; add --force to deliver it again", StringComparison.Ordinal)}"
                        : null;
                if (refusal is not null)
                {
                    await error.WriteLineAsync($"hubctl: {refusal}");
                    return ExitCodes.Failed;
                }
                toReplay = [delivery!];
            }

            var uri = parseResult.GetValue(broker.RabbitMq) is { Length: > 0 } given ? given : BrokerConnection.DefaultFromEnvironment();
            await using (await BrokerConnection.OpenAsync(uri, cancellationToken)) { } // a clear message when the broker is unreachable

            using var activator = new BuiltinHandlerActivator();
            var bus = Configure.With(activator)
                .Logging(l => l.None())
                .Transport(t => t.UseHubRabbitMqAsOneWayClient(uri))
                .Routing(r => r.TypeBased().Map<ReplayWebhookDelivery>(HubEndpoint.QueueNameOf(Webhooks.WebhooksEndpoint.EndpointName)))
                .Start();
            foreach (var delivery in toReplay)
            {
                await bus.Send(new ReplayWebhookDelivery(delivery.Id, parseResult.GetValue(force)),
                    new Dictionary<string, string> { [HubHeaders.Tenant] = delivery.Department, [Rebus.Messages.Headers.CorrelationId] = delivery.Subject });
                await output.WriteLineAsync($"replaying  {delivery.Id}  {delivery.EventType}  department {delivery.Department}  subject {delivery.Subject}");
            }
            await output.WriteLineAsync($"{toReplay.Count} delivery(ies) sent for replay to {HubEndpoint.QueueNameOf(Webhooks.WebhooksEndpoint.EndpointName)}; " +
                                        "follow them with: hubctl webhooks list");
            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }

    static Task<T> Read<T>(string connectionString, Func<IWebhookDeliveryReader, Task<T>> read) =>
        HubctlDatabase.Run(connectionString, "webhook deliveries table", () => read(new PostgreSqlWebhookDeliveryReader(connectionString)));

    static object Summary(WebhookDelivery d) => new
    {
        d.Id, d.Department, d.Subject, d.EventType, Url = d.Url?.ToString(), d.Status, d.Attempts, d.Round,
        d.CreatedAt, d.LastAttemptAt, d.LastStatusCode, d.LastError, d.NextAttemptAt, d.DeliveredAt,
    };

    static async Task WriteTableAsync(TextWriter output, IReadOnlyList<WebhookDelivery> deliveries)
    {
        if (deliveries.Count == 0)
        {
            await output.WriteLineAsync("No webhook deliveries.");
            return;
        }

        string[] header = ["ID", "DEPARTMENT", "EVENT", "STATUS", "ATTEMPTS", "LAST ATTEMPT", "CODE", "LAST ERROR"];
        var rows = deliveries.Select(d => new[]
        {
            d.Id, d.Department, d.EventType, d.Status, d.Attempts.ToString(CultureInfo.InvariantCulture), TextTable.Time(d.LastAttemptAt),
            d.LastStatusCode?.ToString(CultureInfo.InvariantCulture) ?? "-", TextTable.Truncate(d.LastError ?? "-", ErrorColumnWidth),
        }).ToList();
        await TextTable.WriteAsync(output, header, rows, $"{deliveries.Count} delivery(ies).");
    }
}
