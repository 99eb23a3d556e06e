using System.Diagnostics.Metrics;
using IntegrationHub.Adapters.Hl7v2;
using IntegrationHub.Contracts.Clinical.Events;
using IntegrationHub.Hosting;

namespace IntegrationHub.Clinical.Hl7v2;

/// <summary>Where a message came from: the department it belongs to and the channel (<c>mllp:{listener}</c>, <c>http</c>).</summary>
public sealed record Hl7v2Source(string Department, string Channel);

public enum Hl7v2IntakeOutcome
{
    /// <summary>Handed on (committed with its <see cref="Hl7v2MessageAccepted"/> in the outbox): AA / CA.</summary>
    Accepted,
    /// <summary>The same sender's control id was handed on within the duplicate window: AA / CA again, nothing handed on.</summary>
    Duplicate,
    /// <summary>Refused (not parseable as sent, unsupported, a sender the department does not accept, required parts missing): AR / CR.</summary>
    Rejected,
    /// <summary>The hub could not store it right now (database or broker away): AE / CE, send it again.</summary>
    Unavailable,
    /// <summary>No MSH could be read: there is nobody to address an ACK to.</summary>
    Unreadable,
}

/// <param name="Ack">The ACK to send (null: none — unreadable, or enhanced mode asked for none in this case).</param>
public sealed record Hl7v2IntakeResult(Hl7v2IntakeOutcome Outcome, byte[]? Ack, string? AckCode, string? Reason);

/// <summary>
/// One way in for HL7 v2, whatever the channel (MLLP listener, HTTP): parse, check (the department's senders, the
/// type, required segments and fields), hand on, ACK. <b>AA means durable</b>: the ACK is built only after the message's
/// key and its <see cref="Hl7v2MessageAccepted"/> committed (PostgreSQL: in one transaction with the outbox); a crash
/// before that means no ACK, so the sender sends again — and a resend of a committed message is recognised by its key
/// and ACKed without a second hand-off. Nothing of the message's content is logged.
/// </summary>
public sealed class Hl7v2Intake(EndpointRuntime<ClinicalEndpoint> runtime, Hl7v2Options options, IReceivedHl7v2Store received,
    TimeProvider time, ILogger<Hl7v2Intake> logger)
{
    static readonly Meter Meter = new("IntegrationHub.Clinical");
    static readonly Counter<long> Messages = Meter.CreateCounter<long>("hub.hl7v2.messages", "{message}",
        "HL7 v2 messages received, by channel and outcome (accepted, duplicate, rejected, unavailable, unreadable)");

    readonly Hl7Limits _limits = Hl7Limits.Default with { MaxBytes = options.MaxMessageBytes };

    public async Task<Hl7v2IntakeResult> Receive(Hl7v2Source source, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        var parsed = Hl7Parser.Parse(bytes.Span, _limits);
        if (parsed.Message is not { } message)
            return Count(source, new Hl7v2IntakeResult(Hl7v2IntakeOutcome.Unreadable, null, null, "no MSH segment could be read"), null);

        var msh = message.Msh;
        var type = $"{msh.MessageCode}^{msh.TriggerEvent}";
        if (parsed.Problems.Count == 0)
            parsed = parsed with { Problems = Hl7v2Rules.Check(message, options.SendersOf(source.Department)) };
        var now = time.GetUtcNow();
        var ackOptions = new Hl7AckOptions(NewControlId(), now, Hl7v2Rules.SupportedTypes);
        var check = Hl7Ack.Build(parsed, ackOptions);
        if (check.AcknowledgmentCode is not ("AA" or "CA"))
            return Count(source, Answer(Hl7v2IntakeOutcome.Rejected, check, Reason(parsed, check)), type);

        var handOff = new Hl7v2MessageAccepted(Guid.NewGuid().ToString("N"), source.Department, source.Channel,
            msh.SendingApplication.Component(1).Value, msh.SendingFacility.Component(1).Value, msh.ControlId, type, msh.VersionId,
            msh.CharacterSet, Hl7Writer.WriteString(message), now);
        var key = new ReceivedHl7v2(handOff.MessageId, source.Department, handOff.SendingApplication.ToUpperInvariant(),
            handOff.SendingFacility.ToUpperInvariant(), handOff.ControlId, type, source.Channel, now);
        bool stored;
        try
        {
            await using var transaction = runtime.Transactions.Begin();
            await runtime.Bus.Publish(handOff);
            stored = await received.Add(transaction, key);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogError(exception, "HL7 v2 {Type} on {Channel} for {Department} could not be handed on; answered AE so that the sender sends it again",
                type, source.Channel, source.Department);
            var error = new Hl7Problem(Hl7ErrorCode.ApplicationInternalError, "the hub could not store the message right now; send it again");
            return Count(source, Answer(Hl7v2IntakeOutcome.Unavailable, Hl7Ack.Build(parsed, ackOptions, [error]), "storage or broker unavailable"), type);
        }
        return Count(source, Answer(stored ? Hl7v2IntakeOutcome.Accepted : Hl7v2IntakeOutcome.Duplicate, check, null), type);
    }

    /// <summary>
    /// The AR for a message over <see cref="Hl7v2Options.MaxMessageBytes"/>, built from its first bytes (null when they
    /// hold no readable MSH): ERR 207 with the limit. Nothing is handed on.
    /// </summary>
    public byte[]? TooLarge(Hl7v2Source source, ReadOnlyMemory<byte> prefix)
    {
        var end = prefix.Span.IndexOfAny((byte)'\r', (byte)'\n');
        var parsed = Hl7Parser.Parse(end < 0 ? prefix.Span : prefix.Span[..(end + 1)], _limits);
        if (parsed.Message is null)
            return Count(source, new Hl7v2IntakeResult(Hl7v2IntakeOutcome.Rejected, null, null, "too large, and no MSH in its first bytes"), null).Ack;
        var tooLarge = new Hl7Problem(Hl7ErrorCode.ApplicationInternalError,
            $"the message is larger than this hub takes ({options.MaxMessageBytes} bytes)", 0, "MSH", 1);
        var ack = Hl7Ack.Build(parsed with { Problems = [tooLarge] }, new Hl7AckOptions(NewControlId(), time.GetUtcNow()));
        var msh = parsed.Message.Msh;
        return Count(source, Answer(Hl7v2IntakeOutcome.Rejected, ack, $"larger than {options.MaxMessageBytes} bytes"),
            $"{msh.MessageCode}^{msh.TriggerEvent}").Ack;
    }

    Hl7v2IntakeResult Count(Hl7v2Source source, Hl7v2IntakeResult result, string? type)
    {
        Messages.Add(1, new("channel", source.Channel), new("outcome", result.Outcome.ToString().ToLowerInvariant()));
        var level = result.Outcome is Hl7v2IntakeOutcome.Accepted or Hl7v2IntakeOutcome.Duplicate ? LogLevel.Information : LogLevel.Warning;
        logger.Log(level, "HL7 v2 {Type} on {Channel} for {Department}: {Outcome} ({AckCode}){Reason}", type ?? "(unreadable)", source.Channel,
            source.Department, result.Outcome, result.AckCode ?? "no ACK", result.Reason is null ? "" : ": " + result.Reason);
        return result;
    }

    static Hl7v2IntakeResult Answer(Hl7v2IntakeOutcome outcome, Hl7AckResult ack, string? reason) =>
        new(outcome, ack.Outcome == Hl7AckOutcome.Send ? Hl7Writer.WriteBytes(ack.Ack!) : null, ack.AcknowledgmentCode, reason);

    // The problem's code and place, never the message's content (the text of a problem can quote a value).
    static string Reason(Hl7ParseResult parsed, Hl7AckResult ack) => parsed.Problems.Count == 0
        ? $"{ack.AcknowledgmentCode}: type not supported"
        : string.Join("; ", parsed.Problems.Take(3).Select(p => $"{(int)p.Code} at {p.Segment ?? "?"}" + (p.Field is { } f ? $"-{f}" : "")))
          + (parsed.Problems.Count > 3 ? $" (+{parsed.Problems.Count - 3} more)" : "");

    static string NewControlId() => "HUB" + Guid.NewGuid().ToString("N")[..17].ToUpperInvariant();
}
