using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;

namespace IntegrationHub.Adapters.Fhir.Tests;

/// <summary>
/// The round trip's definition of equal JSON: key order does not count, and numbers are compared by value
/// (<c>1.0</c> equals <c>1</c>). <see cref="FirstDifference"/> names where two documents part.
/// </summary>
static class NormalisedJson
{
    /// <param name="throughXml">
    /// The document went through FHIR XML, where the narrative is XML (compared as XML, insignificant whitespace and the
    /// spelling of markup aside) and string values lose leading and trailing whitespace (FHIR R4 datatypes: such
    /// whitespace "SHOULD be removed when using the XML format").
    /// </param>
    public static string? FirstDifference(ReadOnlySpan<byte> expected, ReadOnlySpan<byte> actual, bool throughXml = false) =>
        Compare(expected, actual, throughXml).Loss;

    /// <summary>The first loss, and where a documented exception (README, "Round trip") was allowed.</summary>
    public static Comparison Compare(ReadOnlySpan<byte> expected, ReadOnlySpan<byte> actual, bool throughXml = false)
    {
        var comparer = new Comparer(throughXml);
        var loss = comparer.FirstDifference(JsonNode.Parse(expected), JsonNode.Parse(actual), "$");
        return new Comparison(loss, comparer.Exceptions);
    }

    public sealed record Comparison(string? Loss, IReadOnlyList<string> Exceptions);

    public const string Base64Whitespace = "whitespace inside base64Binary";

    sealed class Comparer(bool throughXml)
    {
        public List<string> Exceptions { get; } = [];

        public string? FirstDifference(JsonNode? expected, JsonNode? actual, string path)
        {
            switch (expected, actual)
            {
                case (null, null):
                    return null;
                case (JsonObject e, JsonObject a):
                    foreach (var (key, value) in e)
                        if (!a.ContainsKey(key))
                            return $"{path}.{key}: missing after the round trip";
                        else if (FirstDifference(value, a[key], $"{path}.{key}") is { } found)
                            return found;
                    foreach (var (key, _) in a)
                        if (!e.ContainsKey(key))
                            return $"{path}.{key}: added by the round trip";
                    return null;
                case (JsonArray e, JsonArray a):
                    if (e.Count != a.Count)
                        return $"{path}: {e.Count} items became {a.Count}";
                    for (var i = 0; i < e.Count; i++)
                        if (FirstDifference(e[i], a[i], $"{path}[{i}]") is { } found)
                            return found;
                    return null;
                case (JsonValue e, JsonValue a):
                    return SameValue(e, a, path) ? null : $"{path}: {Excerpt(e.ToJsonString(), a.ToJsonString())}";
                default:
                    return $"{path}: {expected?.ToJsonString() ?? "null"} became {actual?.ToJsonString() ?? "null"}";
            }
        }

        bool SameValue(JsonValue expected, JsonValue actual, string path)
        {
            if (throughXml && expected.GetValueKind() == JsonValueKind.String && actual.GetValueKind() == JsonValueKind.String)
            {
                var (x, y) = (expected.GetValue<string>(), actual.GetValue<string>());
                return path.EndsWith(".div", StringComparison.Ordinal) ? SameXhtml(x, y) : x.Trim() == y.Trim() || SameBase64(x, y, path);
            }
            if (expected.GetValueKind() == JsonValueKind.String && actual.GetValueKind() == JsonValueKind.String
                && SameBase64(expected.GetValue<string>(), actual.GetValue<string>(), path))
                return true;
            var (e, a) = (expected.GetValueKind(), actual.GetValueKind());
            if (e == JsonValueKind.Number && a == JsonValueKind.Number)
                return decimal.TryParse(expected.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var x)
                    && decimal.TryParse(actual.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var y)
                    ? x == y
                    : double.Parse(expected.ToJsonString(), CultureInfo.InvariantCulture) == double.Parse(actual.ToJsonString(), CultureInfo.InvariantCulture);
            return e == a && (e is JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null
                || expected.GetValue<string>() == actual.GetValue<string>());
        }

        /// <summary>The SDK holds base64Binary as bytes, so line breaks inside the base64 text are not kept: the bytes are.</summary>
        bool SameBase64(string expected, string actual, string path)
        {
            if (!path.EndsWith(".data", StringComparison.Ordinal) || !expected.Any(char.IsWhiteSpace)
                || !Convert.TryFromBase64String(expected.Trim(), new byte[expected.Length], out _)
                || string.Concat(expected.Where(c => !char.IsWhiteSpace(c))) != actual)
                return false;
            Exceptions.Add($"{Base64Whitespace} at {path}");
            return true;
        }
    }

    static bool SameXhtml(string expected, string actual)
    {
        try
        {
            return XNode.DeepEquals(WithoutComments(XElement.Parse(expected)), WithoutComments(XElement.Parse(actual)));
        }
        catch (System.Xml.XmlException)
        {
            return expected == actual;
        }
    }

    static XElement WithoutComments(XElement element)
    {
        element.DescendantNodes().OfType<XComment>().ToList().ForEach(c => c.Remove());
        return element;
    }

    /// <summary>The two values from a little before the first character where they differ.</summary>
    static string Excerpt(string expected, string actual)
    {
        var at = 0;
        while (at < expected.Length && at < actual.Length && expected[at] == actual[at])
            at++;
        var from = Math.Max(0, at - 40);
        string Cut(string s) => s.Substring(from, Math.Min(120, s.Length - from));
        return $"{(from > 0 ? "…" : "")}{Cut(expected)} became {(from > 0 ? "…" : "")}{Cut(actual)}";
    }
}
