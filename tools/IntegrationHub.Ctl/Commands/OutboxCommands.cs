using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using IntegrationHub.Ctl.Rabbit;
using Npgsql;

namespace IntegrationHub.Ctl.Commands;

/// <summary>
/// <c>hubctl outbox list | retry</c>: messages an endpoint stored but could not send for longer than
/// <c>Hub:Outbox:ParkAfter</c> — parked, so that they hold back nothing — and returning them to the outbox forwarder.
/// </summary>
internal static class OutboxCommands
{
    const int ErrorColumnWidth = 60;

    public static Command Create()
    {
        var postgres = HubctlDatabase.Option();
        var outbox = new Command("outbox", "Messages the hub stored but could not send: see why, and send them again");
        outbox.Options.Add(postgres);
        outbox.Subcommands.Add(CreateList(postgres));
        outbox.Subcommands.Add(CreateRetry(postgres));
        return outbox;
    }

    sealed record Row(long Id, string Endpoint, string Destination, string? Type, int Attempts, string? LastError,
        DateTimeOffset CreatedAt, DateTimeOffset? ParkedAt, DateTimeOffset? NextAttemptAt);

    static Command CreateList(Option<string?> postgres)
    {
        var endpoint = new Option<string?>("--endpoint") { Description = "Only messages of this endpoint (e.g. Gateway)" };
        var all = new Option<bool>("--all") { Description = "Every unsent message, not only the parked ones" };
        var json = new Option<bool>("--json") { Description = "Print JSON objects (without bodies)" };
        var limit = new Option<int>("--limit", "-n") { Description = "Show at most this many, oldest first", DefaultValueFactory = _ => 100 };
        var command = new Command("list", "List parked outbox messages (or, with --all, every unsent one), oldest first") { endpoint, all, json, limit };
        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(parseResult, async (output, _) =>
        {
            var connectionString = HubctlDatabase.ConnectionString(parseResult, postgres);
            var rows = await HubctlDatabase.Run(connectionString, "outbox table", async () =>
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(cancellationToken);
                await using var select = new NpgsqlCommand("""
                    SELECT id, endpoint, destination, headers->>'rbs2-msg-type', attempts, last_error, created_at, parked_at, next_attempt_at
                    FROM hub.outbox
                    WHERE (@all OR parked_at IS NOT NULL) AND (@endpoint::text IS NULL OR lower(endpoint) = lower(@endpoint::text))
                    ORDER BY id LIMIT @limit
                    """, connection);
                select.Parameters.AddWithValue("all", parseResult.GetValue(all));
                select.Parameters.AddWithValue("endpoint", (object?)parseResult.GetValue(endpoint) ?? DBNull.Value);
                select.Parameters.AddWithValue("limit", Math.Max(1, parseResult.GetValue(limit)));
                var found = new List<Row>();
                await using var reader = await select.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                    found.Add(new Row(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                        reader.GetInt32(4), reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetFieldValue<DateTimeOffset>(6),
                        reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7), reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8)));
                return found;
            });

            if (parseResult.GetValue(json))
                await output.WriteLineAsync(JsonSerializer.Serialize(rows, ErrorsCommands.Json));
            else
                await WriteTable(output, rows, parseResult.GetValue(all));
            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }

    static Command CreateRetry(Option<string?> postgres)
    {
        var id = new Argument<long?>("outbox-id") { Description = "Id of the parked message (from hubctl outbox list)", Arity = ArgumentArity.ZeroOrOne };
        var all = new Option<bool>("--all") { Description = "Every parked message" };
        var endpoint = new Option<string?>("--endpoint") { Description = "With --all: only this endpoint's" };
        var command = new Command("retry", "Return parked messages to the outbox forwarder, which sends them within a second") { id, all, endpoint };
        command.Validators.Add(result =>
        {
            if (result.GetValue(id) is null == !result.GetValue(all))
                result.AddError("specify either an outbox id or --all");
        });
        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(parseResult, async (output, error) =>
        {
            var connectionString = HubctlDatabase.ConnectionString(parseResult, postgres);
            var returned = await HubctlDatabase.Run(connectionString, "outbox table", async () =>
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(cancellationToken);
                await using var update = new NpgsqlCommand("""
                    UPDATE hub.outbox SET parked_at = NULL, next_attempt_at = NULL, attempts = 0, last_error = NULL
                    WHERE parked_at IS NOT NULL AND (@id::bigint IS NULL OR id = @id::bigint)
                      AND (@endpoint::text IS NULL OR lower(endpoint) = lower(@endpoint::text))
                    """, connection);
                update.Parameters.AddWithValue("id", (object?)parseResult.GetValue(id) ?? DBNull.Value);
                update.Parameters.AddWithValue("endpoint", (object?)parseResult.GetValue(endpoint) ?? DBNull.Value);
                return await update.ExecuteNonQueryAsync(cancellationToken);
            });

            if (returned == 0 && parseResult.GetValue(id) is { } missing)
            {
                await error.WriteLineAsync($"hubctl: no parked outbox message with id {missing.ToString(CultureInfo.InvariantCulture)}");
                return ExitCodes.Failed;
            }
            await output.WriteLineAsync($"{returned} parked message(s) returned to the outbox forwarder; follow them with: hubctl outbox list --all");
            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }

    static async Task WriteTable(TextWriter output, IReadOnlyList<Row> rows, bool all)
    {
        if (rows.Count == 0)
        {
            await output.WriteLineAsync(all ? "No unsent outbox messages." : "No parked outbox messages.");
            return;
        }
        string[] header = ["ID", "ENDPOINT", "DESTINATION", "TYPE", "ATTEMPTS", all ? "STATE" : "PARKED AT", "LAST ERROR"];
        var table = rows.Select(r => new[]
        {
            r.Id.ToString(CultureInfo.InvariantCulture), r.Endpoint, r.Destination, FailedMessage.ShortTypeName(r.Type) ?? "-",
            r.Attempts.ToString(CultureInfo.InvariantCulture),
            r.ParkedAt is { } parked ? TextTable.Time(parked) : all ? $"retry {TextTable.Time(r.NextAttemptAt, "now")}" : "-",
            TextTable.Truncate(r.LastError ?? "-", ErrorColumnWidth),
        }).ToList();
        await TextTable.WriteAsync(output, header, table, $"{rows.Count} message(s).");
    }
}
