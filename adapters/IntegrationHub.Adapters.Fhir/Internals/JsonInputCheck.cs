using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Hl7.Fhir.Model;
using static Hl7.Fhir.Model.OperationOutcome;

namespace IntegrationHub.Adapters.Fhir.Internals;

/// <summary>
/// One fast pass over a JSON body before the SDK sees it, for what the SDK does not refuse or refuses only by throwing:
/// invalid UTF-8, nesting past the depth limit, strings past the length limit, and duplicate keys (which
/// System.Text.Json, and so the SDK, accept silently, keeping the last one). The first problem ends the pass.
/// </summary>
static class JsonInputCheck
{
    public static IssueComponent? Check(ReadOnlySpan<byte> json, FhirLimits limits)
    {
        if (!Utf8.IsValid(json))
        {
            var offset = FirstInvalidUtf8(json);
            return Issues.Error(IssueType.Invalid, $"The body is not valid UTF-8 (byte offset {offset})", null, PositionOf(json, offset));
        }

        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = limits.MaxDepth + 1, CommentHandling = JsonCommentHandling.Disallow });
        var path = new JsonPath();
        try
        {
            if (reader.Read() && reader.TokenType != JsonTokenType.StartObject)
                return Issues.Error(IssueType.Structure, "The body holds no FHIR resource: it is not a JSON object", null, PositionOf(json, reader.TokenStartIndex));
            path.EnterObject();
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                        path.EnterObject();
                        if (reader.CurrentDepth >= limits.MaxDepth)
                            return TooDeep(json, reader, path, limits);
                        break;
                    case JsonTokenType.StartArray:
                        path.EnterArray();
                        if (reader.CurrentDepth >= limits.MaxDepth)
                            return TooDeep(json, reader, path, limits);
                        break;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        path.Leave();
                        break;
                    case JsonTokenType.PropertyName:
                        if (TooLong(reader, limits))
                            return Issues.Error(IssueType.TooCostly, $"A property name is longer than the limit of {limits.MaxStringLength} characters", path.ToString(), PositionOf(json, reader.TokenStartIndex));
                        if (HoldsNonXmlText(ref reader))
                            return Issues.Error(IssueType.Value, "A property name holds a character that FHIR text cannot hold (a control character, U+FFFE or U+FFFF)", path.ToString(), PositionOf(json, reader.TokenStartIndex));
                        var name = PropertyNames.Of(ref reader);
                        if (!path.AddProperty(name))
                            return Issues.Error(IssueType.Structure, $"Duplicate property '{name}'", path.ToString(), PositionOf(json, reader.TokenStartIndex));
                        break;
                    case JsonTokenType.String:
                        if (TooLong(reader, limits))
                            return Issues.Error(IssueType.TooCostly, $"A string is longer than the limit of {limits.MaxStringLength} characters", path.ToString(), PositionOf(json, reader.TokenStartIndex));
                        // FHIR text must be writable as XML too: no NUL (which the hub stores nowhere) or other control character but
                        // tab, CR and LF, no U+FFFE or U+FFFF. Raw control characters are not valid JSON, so those come escaped.
                        if (HoldsNonXmlText(ref reader))
                            return Issues.Error(IssueType.Value, "A string holds a NUL or another character that FHIR text cannot hold (a control character, U+FFFE or U+FFFF)", path.ToString(), PositionOf(json, reader.TokenStartIndex));
                        path.Value(path.AtRootProperty("resourceType") ? reader.GetString() : null);
                        break;
                    default:
                        path.Value();
                        break;
                }
            }
        }
        catch (JsonException e)
        {
            return Issues.Error(IssueType.Structure, $"The body is not valid JSON: {FirstSentence(e.Message)}", path.ToString(),
                new Position((e.LineNumber ?? 0) + 1, (e.BytePositionInLine ?? 0) + 1));
        }
        return null;
    }

    static IssueComponent TooDeep(ReadOnlySpan<byte> json, Utf8JsonReader reader, JsonPath path, FhirLimits limits) =>
        Issues.Error(IssueType.TooCostly, $"The body nests deeper than the limit of {limits.MaxDepth} levels", path.ToString(), PositionOf(json, reader.TokenStartIndex));

    /// <summary>True when the current string or property name holds a character XML (and so FHIR) text cannot hold.</summary>
    static bool HoldsNonXmlText(ref Utf8JsonReader reader)
    {
        ReadOnlySpan<byte> raw = reader.HasValueSequence ? System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence) : reader.ValueSpan;
        ReadOnlySpan<byte> fffe = [0xEF, 0xBF, 0xBE], ffff = [0xEF, 0xBF, 0xBF];
        if (raw.IndexOf(fffe) >= 0 || raw.IndexOf(ffff) >= 0) return true;
        if (!reader.ValueIsEscaped) return false;
        foreach (var c in reader.GetString()!)
            if ((c < 0x20 && c is not ('\t' or '\n' or '\r')) || c is '\uFFFE' or '\uFFFF') return true;
        return false;
    }

    static bool TooLong(Utf8JsonReader reader, FhirLimits limits)
    {
        var bytes = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
        // UTF-8 never has fewer bytes than UTF-16 code units, so the exact count is needed only past the limit.
        return bytes > limits.MaxStringLength && reader.GetString()!.Length > limits.MaxStringLength;
    }

    static string FirstSentence(string message) => message.Split(" LineNumber:")[0].TrimEnd('.', ' ');

    static int FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        var offset = 0;
        while (offset < bytes.Length)
        {
            if (System.Buffers.OperationStatus.Done != Rune.DecodeFromUtf8(bytes[offset..], out _, out var consumed))
                return offset;
            offset += consumed;
        }
        return offset;
    }

    internal static Position PositionOf(ReadOnlySpan<byte> text, long offset)
    {
        var before = text[..(int)Math.Min(offset, text.Length)];
        var line = before.Count((byte)'\n');
        var lineStart = before.LastIndexOf((byte)'\n') + 1;
        return new Position(line + 1, before.Length - lineStart + 1);
    }
}
