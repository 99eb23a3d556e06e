using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using IntegrationHub.Ctl.Rabbit;

namespace IntegrationHub.Ctl.Commands;

/// <summary><c>hubctl errors list|show|retry</c>.</summary>
internal static class ErrorsCommands
{
    private const int MessageColumnWidth = 60;

    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static Command Create()
    {
        var broker = new BrokerOptions();
        var errors = new Command("errors", "Inspect failed messages in the error queue and return them to their source queues");
        broker.AddTo(errors);
        errors.Subcommands.Add(CreateList(broker));
        errors.Subcommands.Add(CreateShow(broker));
        errors.Subcommands.Add(CreateRetry(broker));
        return errors;
    }

    private static Command CreateList(BrokerOptions broker)
    {
        var json = new Option<bool>("--json") { Description = "Print full JSON objects, including error details" };
        var limit = new Option<int>("--limit", "-n")
        {
            Description = "Show at most this many messages from the head of the queue",
            DefaultValueFactory = _ => 50,
        };
        limit.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() <= 0)
            {
                result.AddError("--limit must be a positive number");
            }
        });

        var command = new Command("list", "List failed messages without removing them") { json, limit };
        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(parseResult, async (output, _) =>
        {
            await using var queue = await broker.ConnectAsync(parseResult, cancellationToken);
            var listing = await queue.ListAsync(parseResult.GetValue(limit), cancellationToken);
            if (parseResult.GetValue(json))
            {
                await output.WriteLineAsync(JsonSerializer.Serialize(new
                {
                    queue = listing.Queue,
                    total = listing.Total,
                    shown = listing.Messages.Count,
                    messages = listing.Messages,
                }, Json));
            }
            else
            {
                await WriteTableAsync(output, listing);
            }
            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }

    private static Command CreateShow(BrokerOptions broker)
    {
        var id = new Argument<string>("id") { Description = "Message id (rbs2-msg-id)" };
        var json = new Option<bool>("--json") { Description = "Print the message as a JSON object" };
        var command = new Command("show", "Show one failed message in full: error details, headers, body") { id, json };
        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(parseResult, async (output, error) =>
        {
            var messageId = parseResult.GetRequiredValue(id);
            await using var queue = await broker.ConnectAsync(parseResult, cancellationToken);
            var message = await queue.GetAsync(messageId, cancellationToken);
            if (message is null)
            {
                await error.WriteLineAsync($"hubctl: no message with id '{messageId}' in '{queue.QueueName}'");
                return ExitCodes.Failed;
            }

            if (parseResult.GetValue(json))
            {
                await output.WriteLineAsync(JsonSerializer.Serialize(message, Json));
            }
            else
            {
                await WriteDetailsAsync(output, message);
            }
            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }

    private static Command CreateRetry(BrokerOptions broker)
    {
        var id = new Argument<string?>("id")
        {
            Description = "Message id (rbs2-msg-id) to return to its source queue",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var all = new Option<bool>("--all") { Description = "Return every message in the error queue to its source queue" };
        var command = new Command("retry", "Return failed messages to their source queues (without the error headers)") { id, all };
        command.Validators.Add(result =>
        {
            var hasId = !string.IsNullOrWhiteSpace(result.GetValue(id));
            var hasAll = result.GetValue(all);
            if (hasId == hasAll)
            {
                result.AddError("specify either a message id or --all");
            }
        });

        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(parseResult, async (output, error) =>
        {
            await using var queue = await broker.ConnectAsync(parseResult, cancellationToken);
            IReadOnlyList<RetryOutcome> outcomes = parseResult.GetValue(all)
                ? await queue.RetryAllAsync(cancellationToken)
                : [await queue.RetryAsync(parseResult.GetRequiredValue(id)!, cancellationToken)];

            if (outcomes.Count == 0)
            {
                await output.WriteLineAsync($"No failed messages in '{queue.QueueName}'.");
                return ExitCodes.Ok;
            }

            foreach (var outcome in outcomes)
            {
                if (outcome.Moved)
                {
                    await output.WriteLineAsync($"moved      {outcome.MessageId} -> {outcome.SourceQueue}");
                }
                else
                {
                    await error.WriteLineAsync($"not moved  {outcome.MessageId}: {outcome.Reason}");
                }
            }

            if (!parseResult.GetValue(all))
            {
                return outcomes[0].Moved ? ExitCodes.Ok : ExitCodes.Failed;
            }

            var moved = outcomes.Count(o => o.Moved);
            var failed = outcomes.Count - moved;
            await output.WriteLineAsync(failed == 0
                ? $"{moved} message(s) moved out of '{queue.QueueName}'."
                : $"{moved} message(s) moved, {failed} not moved (still in '{queue.QueueName}').");
            return failed == 0 ? ExitCodes.Ok : ExitCodes.Failed;
        }, cancellationToken));
        return command;
    }

    internal static async Task WriteTableAsync(TextWriter output, ErrorQueueListing listing)
    {
        if (listing.Messages.Count == 0)
        {
            await output.WriteLineAsync($"No failed messages in '{listing.Queue}'.");
            return;
        }

        string[] header = ["ID", "TYPE", "SOURCE QUEUE", "FAILED AT", "ATTEMPTS", "EXCEPTION", "MESSAGE"];
        var rows = listing.Messages.Select(m => new[]
        {
            m.MessageId,
            m.ShortType ?? "-",
            m.SourceQueue ?? "-",
            TextTable.Time(m.FailedAt),
            m.Attempts?.ToString(CultureInfo.InvariantCulture) ?? "-",
            m.ShortExceptionType ?? "-",
            TextTable.Truncate(m.ExceptionMessage ?? "-", MessageColumnWidth),
        }).ToList();

        await TextTable.WriteAsync(output, header, rows, listing.Messages.Count < listing.Total
            ? $"Showing {listing.Messages.Count} of {listing.Total} failed message(s) in '{listing.Queue}' (use --limit to see more)."
            : $"{listing.Total} failed message(s) in '{listing.Queue}'.");
    }

    internal static async Task WriteDetailsAsync(TextWriter output, FailedMessage m)
    {
        async Task Field(string name, object? value)
        {
            if (value is not null && !(value is string s && s.Length == 0))
            {
                await output.WriteLineAsync($"{name + ":",-18}{value}");
            }
        }

        await Field("Message id", m.MessageId);
        await Field("Type", m.Type);
        await Field("Source queue", m.SourceQueue);
        await Field("Failed at", m.FailedAt?.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        await Field("Attempts", m.Attempts);
        await Field("Delayed retries", m.DelayedRetries);
        await Field("Exception", m.ExceptionType);
        await Field("Error message", m.ExceptionMessage);
        await Field("Correlation id", m.CorrelationId);
        await Field("Causation id", m.CausationId);
        await Field("Tenant", m.Tenant);
        await Field("Sent by", m.SendingEndpoint);

        await output.WriteLineAsync();
        await output.WriteLineAsync("Error details:");
        await output.WriteLineAsync(Indent(m.ErrorDetails ?? "(none)"));

        await output.WriteLineAsync();
        await output.WriteLineAsync("Headers:");
        foreach (var (key, value) in m.Headers.Where(h => h.Key != Rebus.Messages.Headers.ErrorDetails))
        {
            await output.WriteLineAsync($"  {key} = {TextTable.Truncate(value, 200)}");
        }

        await output.WriteLineAsync();
        await output.WriteLineAsync("Properties:");
        foreach (var (key, value) in m.Properties)
        {
            await output.WriteLineAsync($"  {key} = {value}");
        }

        await output.WriteLineAsync();
        var body = m.FormatBody();
        if (body is not null)
        {
            await output.WriteLineAsync($"Body ({m.BodyLength} bytes):");
            await output.WriteLineAsync(Indent(body));
        }
        else
        {
            await output.WriteLineAsync($"Body ({m.BodyLength} bytes, not UTF-8 text; base64):");
            await output.WriteLineAsync(Indent(m.BodyBase64 ?? ""));
        }
    }

    private static string Indent(string text) =>
        "  " + text.ReplaceLineEndings(Environment.NewLine + "  ");
}
