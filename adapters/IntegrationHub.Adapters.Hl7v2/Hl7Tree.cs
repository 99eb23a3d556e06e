using System.Text;

namespace IntegrationHub.Adapters.Hl7v2;

/// <summary>
/// A readable tree of a parsed message (what <c>hubctl hl7 parse</c> prints and the golden <c>*.tree.txt</c> files hold):
/// the problems, the encoding and delimiters, then every segment with each non-empty leaf as
/// <c>SEG-field[repetition].component.subcomponent = "decoded value"</c>.
/// </summary>
public static class Hl7Tree
{
    public static string Write(Hl7ParseResult result)
    {
        var sb = new StringBuilder();
        foreach (var problem in result.Problems) sb.Append("problem ").Append(problem).Append('\n');
        if (result.Message is not { } message) return sb.ToString();
        sb.Append($"encoding {message.Encoding.WebName}; delimiters {message.Delimiters.Field}{message.Delimiters.EncodingCharacters}\n");
        foreach (var segment in message.Segments)
        {
            sb.Append($"{segment.Name} #{segment.Index} (occurrence {segment.Occurrence})\n");
            for (var f = 1; f <= segment.FieldCount; f++)
            {
                var field = segment.Field(f);
                if (field.IsEmpty) continue;
                if (field.Level == Hl7Level.Literal)
                {
                    sb.Append($"  {segment.Name}-{f} = \"{field.Value}\"\n");
                    continue;
                }
                for (var r = 1; r <= field.Count; r++)
                {
                    var repetition = field.Repetition(r);
                    for (var c = 1; c <= repetition.Count; c++)
                    {
                        var component = repetition.Child(c);
                        for (var s = 1; s <= component.Count; s++)
                        {
                            var leaf = component.Child(s);
                            if (leaf.IsEmpty) continue;
                            sb.Append($"  {segment.Name}-{f}[{r}].{c}.{s} = \"{leaf.Value}\"{(leaf.IsTruncated ? " (truncated)" : "")}\n");
                        }
                    }
                }
            }
        }
        return sb.ToString();
    }
}
