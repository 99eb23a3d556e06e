using System.Text;
using IntegrationHub.Adapters.Hl7v2.Internals;

namespace IntegrationHub.Adapters.Hl7v2;

/// <summary>
/// Writes messages in canonical form: segments as parsed, each ended by CR, no BOM, in the MSH-18 character set.
/// Parse → write of a canonical message gives the same bytes.
/// </summary>
public static class Hl7Writer
{
    public static string WriteString(Hl7Message message)
    {
        var sb = new StringBuilder(message.Text.Length + 2);
        foreach (var s in message.Segments) sb.Append(s.Raw.Span).Append('\r');
        return sb.ToString();
    }

    public static byte[] WriteBytes(Hl7Message message) => message.Encoding.GetBytes(WriteString(message));

    /// <summary>Escapes a value for use as one leaf (sub-component) under these delimiters.</summary>
    public static string Escape(string value, Hl7Delimiters delimiters) => Escapes.Encode(value, delimiters);

    /// <summary>
    /// Builds a segment from fields already in wire form (components joined by the caller); field 1 of MSH is the
    /// field separator and field 2 the encoding characters; both are written from the delimiters, fields start at 3.
    /// </summary>
    public static string Segment(Hl7Delimiters d, string name, params string[] fields)
    {
        var sb = new StringBuilder(name);
        if (name == "MSH") sb.Append(d.Field).Append(d.EncodingCharacters);
        foreach (var f in fields) sb.Append(d.Field).Append(f);
        return sb.ToString().TrimEnd(d.Field);
    }
}
