using System.Text;
using IntegrationHub.Adapters.Hl7v2;

namespace IntegrationHub.Adapters.Hl7v2Fhir.Internals;

/// <summary>v2 text (ST, TX, FT) as plain FHIR text: formatting escapes become line breaks or go; repetitions are lines.</summary>
internal static class V2Text
{
    /// <summary>Every repetition of <paramref name="field"/>, each component 1 (TX, FT), as lines; null when empty.</summary>
    public static string? Lines(Hl7Element field, char escape)
    {
        var lines = V2Types.Repetitions(field).Select(r => Plain(r.Repetition.Component(1).Value, escape)).ToList();
        return lines.Count == 0 ? null : string.Join("\n", lines);
    }

    /// <summary>
    /// The parser keeps formatting escapes as written: <c>\.br\</c> and <c>\.sp\</c> become a line break, highlighting
    /// (<c>\H\</c>, <c>\N\</c>) and the other formatting commands (<c>\.in\</c>, <c>\.ti\</c>, <c>\.ce\</c>, …) go.
    /// </summary>
    public static string Plain(string text, char escape)
    {
        if (!text.Contains(escape, StringComparison.Ordinal)) return text;
        var builder = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var end = text[i] == escape ? text.IndexOf(escape, i + 1) : -1;
            if (end < 0)
            {
                builder.Append(text[i]);
                continue;
            }
            var command = text[(i + 1)..end];
            if (command.StartsWith(".br", StringComparison.Ordinal) || command.StartsWith(".sp", StringComparison.Ordinal)) builder.Append('\n');
            else if (!(command is "H" or "N" || command.StartsWith('.'))) builder.Append(text, i, end - i + 1);
            i = end;
        }
        return builder.ToString();
    }
}
