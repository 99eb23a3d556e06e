using System.Globalization;
using System.Text;

namespace IntegrationHub.Adapters.Hl7v2;

public enum Hl7AckOutcome
{
    /// <summary>Send <see cref="Hl7AckResult.Ack"/>.</summary>
    Send,
    /// <summary>Enhanced mode and MSH-15 asked for no commit ACK in this case (NE, ER on success, SU on error).</summary>
    NotRequested,
    /// <summary>No MSH could be read: there is nobody to address an ACK to; close the connection cleanly.</summary>
    Close,
}

public sealed record Hl7AckResult(Hl7AckOutcome Outcome, Hl7Message? Ack, string? AcknowledgmentCode);

/// <param name="ControlId">MSH-10 of the ACK itself.</param>
/// <param name="SupportedMessageTypes">"ADT^A04", "ORU^R01"…; null accepts every type. Others are rejected 200/201.</param>
public sealed record Hl7AckOptions(string ControlId, DateTimeOffset Timestamp, IReadOnlySet<string>? SupportedMessageTypes = null);

/// <summary>
/// Builds the answer to a parsed message. Original mode (MSH-15 and MSH-16 empty): AA, AE (application errors
/// given by the caller) or AR (the parse's problems, or an unsupported type). Enhanced mode: CA / CE / CR commit
/// ACKs as MSH-15 asks. Each problem becomes one ERR segment with its location and table 0357 code.
/// </summary>
public static class Hl7Ack
{
    /// <summary>A message with thousands of bad segments gets the first problems only: the ACK stays small.</summary>
    public const int MaxErrSegments = 50;

    public static Hl7AckResult Build(Hl7ParseResult parsed, Hl7AckOptions options, IReadOnlyList<Hl7Problem>? applicationErrors = null)
    {
        if (parsed.Message is not { } message) return new(Hl7AckOutcome.Close, null, null);
        var msh = message.Msh;
        var reject = new List<Hl7Problem>(parsed.Problems);
        if (reject.Count == 0 && options.SupportedMessageTypes is { } supported && !supported.Contains($"{msh.MessageCode}^{msh.TriggerEvent}"))
        {
            var codeKnown = supported.Any(t => t.StartsWith(msh.MessageCode + "^", StringComparison.Ordinal));
            reject.Add(codeKnown
                ? new Hl7Problem(Hl7ErrorCode.UnsupportedEventCode, $"event '{msh.TriggerEvent}' is not supported for {msh.MessageCode}", 0, "MSH", 1, 9, 1, 2)
                : new Hl7Problem(Hl7ErrorCode.UnsupportedMessageType, $"message type '{msh.MessageCode}' is not supported", 0, "MSH", 1, 9, 1, 1));
        }
        var errors = reject.Count > 0 ? reject : (IReadOnlyList<Hl7Problem>)(applicationErrors ?? []);
        var enhanced = msh.AcceptAckType.Length > 0 || msh.ApplicationAckType.Length > 0;
        var ok = errors.Count == 0;
        var code = (enhanced ? "C" : "A") + (reject.Count > 0 ? "R" : ok ? "A" : "E");
        if (enhanced)
        {
            var wanted = msh.AcceptAckType switch { "NE" => false, "ER" => !ok, "SU" => ok, _ => true };
            if (!wanted) return new(Hl7AckOutcome.NotRequested, null, code);
        }

        var d = message.Delimiters;
        string Esc(string v) => Hl7Writer.Escape(v, d);
        var version = msh.VersionId.Length > 0 && !parsed.Problems.Any(p => p.Code == Hl7ErrorCode.UnsupportedVersionId) ? msh.VersionId : "2.5.1";
        var v25 = string.CompareOrdinal(version, "2.5") >= 0;
        var type = version == "2.3" ? $"ACK{d.Component}{Esc(msh.TriggerEvent)}"
            : $"ACK{d.Component}{Esc(msh.TriggerEvent)}{d.Component}ACK";
        var fields = new List<string>
        {
            msh.ReceivingApplication.Raw.ToString(), msh.ReceivingFacility.Raw.ToString(),
            msh.SendingApplication.Raw.ToString(), msh.SendingFacility.Raw.ToString(),
            options.Timestamp.ToString("yyyyMMddHHmmsszzz", CultureInfo.InvariantCulture).Replace(":", ""),
            "", type, Esc(options.ControlId), msh.Segment.Field(11).Raw.ToString(), Esc(version),
        };
        if (msh.CharacterSet.Length > 0 && !parsed.Problems.Any(p => p is { Segment: "MSH", Field: 18 })) fields.AddRange(["", "", "", "", "", msh.Segment.Field(18).Raw.ToString()]);
        var sb = new StringBuilder();
        sb.Append(Hl7Writer.Segment(d, "MSH", [.. fields])).Append('\r');
        sb.Append(Hl7Writer.Segment(d, "MSA", code, Esc(msh.ControlId))).Append('\r');
        foreach (var p in errors.Take(MaxErrSegments))
        {
            var location = string.Join(d.Component, p.Segment ?? "", p.SegmentOccurrence?.ToString(CultureInfo.InvariantCulture) ?? "",
                p.Field?.ToString(CultureInfo.InvariantCulture) ?? "", p.Field is null ? "" : (p.Repetition ?? 1).ToString(CultureInfo.InvariantCulture),
                p.Component?.ToString(CultureInfo.InvariantCulture) ?? "").TrimEnd(d.Component);
            var text = Esc(p.Message);
            sb.Append(v25
                ? Hl7Writer.Segment(d, "ERR", "", location, $"{(int)p.Code}{d.Component}{text}{d.Component}HL70357", "E")
                : Hl7Writer.Segment(d, "ERR", $"{location}{d.Component}{(int)p.Code}{d.SubComponent}{text.Replace(d.SubComponent.ToString(), $"{d.Escape}T{d.Escape}")}{d.SubComponent}HL70357"));
            sb.Append('\r');
        }
        var ack = Hl7Parser.Parse(sb.ToString(), null, message.Encoding).Message!;
        return new(Hl7AckOutcome.Send, ack, code);
    }
}
