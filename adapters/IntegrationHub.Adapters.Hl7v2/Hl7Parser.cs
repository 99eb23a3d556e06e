using System.Text;
using IntegrationHub.Adapters.Hl7v2.Internals;

namespace IntegrationHub.Adapters.Hl7v2;

/// <summary>Parses HL7 v2.3–v2.8. Never throws for bad input: every problem comes back in the result.</summary>
public static class Hl7Parser
{
    /// <summary>A message this broken is rejected on what was found so far; reading on only costs memory.</summary>
    public const int MaxProblems = 100;

    static readonly string[] Versions = ["2.3", "2.3.1", "2.4", "2.5", "2.5.1", "2.6", "2.7", "2.7.1", "2.8", "2.8.1", "2.8.2"];

    public static Hl7ParseResult Parse(ReadOnlySpan<byte> bytes, Hl7Limits? limits = null)
    {
        limits ??= Hl7Limits.Default;
        if (bytes.Length > limits.MaxBytes)
            return Fail(new Hl7Problem(Hl7ErrorCode.ApplicationInternalError, $"message is {bytes.Length} bytes; the limit is {limits.MaxBytes}"));
        var bom = bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]);
        if (bom) bytes = bytes[3..];
        var declared = CharacterSets.ReadMsh18(bytes);
        Encoding encoding = bom ? CharacterSets.Utf8
            : CharacterSets.ForName(declared) ?? (CharacterSets.IsValidUtf8(bytes) ? CharacterSets.Utf8 : Encoding.Latin1);
        string text;
        try { text = encoding.GetString(bytes); }
        catch (DecoderFallbackException)
        {
            // Declared UTF-8 but not: read as Latin-1 so the header (ASCII) can still be answered.
            var r = Parse(Encoding.Latin1.GetString(bytes), limits, Encoding.Latin1);
            return r with { Problems = [.. r.Problems, new Hl7Problem(Hl7ErrorCode.DataTypeError, "bytes are not valid UTF-8 as MSH-18 declares", 0, "MSH", 1, 18)] };
        }
        return Parse(text, limits, encoding);
    }

    public static Hl7ParseResult Parse(string text, Hl7Limits? limits = null, Encoding? encoding = null)
    {
        limits ??= Hl7Limits.Default;
        if (text.Length > limits.MaxBytes)
            return Fail(new Hl7Problem(Hl7ErrorCode.ApplicationInternalError, $"message is {text.Length} characters; the limit is {limits.MaxBytes}"));
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
        if (!TryDelimiters(text, out var d, out var why))
            return Fail(new Hl7Problem(Hl7ErrorCode.SegmentSequenceError, why, 0, "MSH"));

        var problems = new List<Hl7Problem>();
        var segments = new List<Hl7Segment>();
        var starts = new List<int>(32);
        var pos = 0;
        while (pos < text.Length)
        {
            var rel = text.AsSpan(pos).IndexOfAny('\r', '\n');
            var end = rel < 0 ? text.Length : pos + rel;
            var next = end;
            if (next < text.Length) next += text[next] == '\r' && next + 1 < text.Length && text[next + 1] == '\n' ? 2 : 1;
            if (end == pos) { pos = next; continue; } // blank line between segments
            if (problems.Count >= MaxProblems)
            {
                problems.Add(new Hl7Problem(Hl7ErrorCode.ApplicationInternalError, $"more than {MaxProblems} problems; the rest of the message was not read", segments.Count));
                break;
            }
            if (segments.Count == limits.MaxSegments)
            {
                problems.Add(new Hl7Problem(Hl7ErrorCode.ApplicationInternalError, $"more than {limits.MaxSegments} segments", segments.Count));
                break;
            }
            var line = text.AsSpan(pos, end - pos);
            if (line.Length < 3 || !IsSegmentName(line[..3]) || (line.Length > 3 && line[3] != d.Field))
            {
                problems.Add(new Hl7Problem(Hl7ErrorCode.SegmentSequenceError,
                    $"segment {segments.Count} does not start with a segment name and the field separator", segments.Count));
                pos = next;
                continue;
            }
            var name = SegmentName(line[..3]);
            if (segments.Count > 0 && name == "MSH")
                problems.Add(new Hl7Problem(Hl7ErrorCode.SegmentSequenceError, "a second MSH in one message", segments.Count, name));
            starts.Clear();
            starts.Add(pos);
            // One vectorised pass per segment finds the field separators and counts repetitions for the limit.
            var tooManyFields = false;
            var reps = 0;
            var repField = -1;
            for (var k = 3; k < line.Length;)
            {
                var hit = line[k..].IndexOfAny(d.Field, d.Repetition);
                if (hit < 0) break;
                k += hit;
                if (line[k] == d.Field)
                {
                    if (starts.Count > limits.MaxFieldsPerSegment) { tooManyFields = true; break; }
                    starts.Add(pos + k + 1);
                    reps = 0;
                }
                else if (++reps == limits.MaxFieldRepetitions && repField < 0)
                    repField = starts.Count - 1;
                k++;
            }
            var seg = new Hl7Segment(name, segments.Count, pos, end, [.. starts]);
            if (tooManyFields)
                problems.Add(new Hl7Problem(Hl7ErrorCode.ApplicationInternalError, $"more than {limits.MaxFieldsPerSegment} fields", seg.Index, name, Occurrence(segments, name)));
            else if (repField > 0 && !(name == "MSH" && repField == 1))
                problems.Add(new Hl7Problem(Hl7ErrorCode.ApplicationInternalError, $"more than {limits.MaxFieldRepetitions} repetitions",
                    seg.Index, name, Occurrence(segments, name), name == "MSH" ? repField + 1 : repField));
            segments.Add(seg);
            pos = next;
        }

        var message = new Hl7Message(text, d, encoding ?? CharacterSets.Utf8, [.. segments]);
        CheckHeader(message, problems);
        return new Hl7ParseResult(message, problems);
    }

    static int Occurrence(List<Hl7Segment> before, string name) => before.Count(s => s.Name == name) + 1;

    static readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> KnownNames =
        new[] { "MSH", "EVN", "PID", "PD1", "NK1", "PV1", "PV2", "ORC", "OBR", "OBX", "NTE", "AL1", "DG1", "SCH", "AIL", "AIP",
                "RXA", "RXR", "RGS", "MSA", "ERR", "IN1", "GT1", "TQ1", "SPM", "ROL", "PR1", "AIS", "AIG", "RXO", "RXE" }
            .ToDictionary(n => n).GetAlternateLookup<ReadOnlySpan<char>>();

    static string SegmentName(ReadOnlySpan<char> name) => KnownNames.TryGetValue(name, out var known) ? known : name.ToString();

    static void CheckHeader(Hl7Message m, List<Hl7Problem> problems)
    {
        var msh = m.Segments[0];
        void Require(int field, string what)
        {
            if (msh.Field(field).Component(1).Child(1).IsEmpty)
                problems.Add(new Hl7Problem(Hl7ErrorCode.RequiredFieldMissing, $"MSH-{field} ({what}) is required", 0, "MSH", 1, field));
        }
        Require(9, "message type");
        Require(10, "message control id");
        Require(11, "processing id");
        Require(12, "version id");
        var version = msh.Field(12).Component(1).Child(1).Raw.Span;
        if (!version.IsEmpty && !IsSupportedVersion(version))
            problems.Add(new Hl7Problem(Hl7ErrorCode.UnsupportedVersionId, $"version '{m.Msh.VersionId}' is not one of 2.3–2.8", 0, "MSH", 1, 12));
        var charset = msh.Field(18);
        if (!charset.IsEmpty && !CharacterSets.IsKnown(m.Msh.CharacterSet))
            problems.Add(new Hl7Problem(Hl7ErrorCode.TableValueNotFound, $"character set '{m.Msh.CharacterSet}' is not supported (ASCII, 8859/1, UNICODE UTF-8)", 0, "MSH", 1, 18));
    }

    static bool IsSupportedVersion(ReadOnlySpan<char> v)
    {
        foreach (var known in Versions)
            if (v.SequenceEqual(known)) return true;
        return false;
    }

    static bool TryDelimiters(string text, out Hl7Delimiters d, out string why)
    {
        d = default;
        if (text.Length < 8 || !text.StartsWith("MSH", StringComparison.Ordinal))
        {
            why = "the message does not start with MSH and its encoding characters";
            return false;
        }
        var fs = text[3];
        var msh2End = text.AsSpan(4).IndexOfAny(fs, '\r', '\n');
        var enc = msh2End < 0 ? text.AsSpan(4) : text.AsSpan(4, msh2End);
        if (msh2End < 0 || text[4 + msh2End] != fs || enc.Length is < 4 or > 5)
        {
            why = "MSH-2 must hold four or five encoding characters followed by the field separator";
            return false;
        }
        Span<char> all = stackalloc char[6];
        all[0] = fs;
        enc.CopyTo(all[1..]);
        var used = all[..(enc.Length + 1)];
        for (var i = 0; i < used.Length; i++)
        {
            if (char.IsLetterOrDigit(used[i]) || char.IsWhiteSpace(used[i]) || char.IsControl(used[i]) || used[(i + 1)..].Contains(used[i]))
            {
                why = "the encoding characters in MSH-1/MSH-2 must be distinct, printable and not letters or digits";
                return false;
            }
        }
        d = new Hl7Delimiters(fs, enc[0], enc[1], enc[2], enc[3], enc.Length == 5 ? enc[4] : null);
        why = "";
        return true;
    }

    static bool IsSegmentName(ReadOnlySpan<char> n) =>
        char.IsAsciiLetterUpper(n[0]) && (char.IsAsciiLetterUpper(n[1]) || char.IsAsciiDigit(n[1])) &&
        (char.IsAsciiLetterUpper(n[2]) || char.IsAsciiDigit(n[2]));

    static Hl7ParseResult Fail(Hl7Problem p) => new(null, [p]);
}
