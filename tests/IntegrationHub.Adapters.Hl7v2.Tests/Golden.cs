using System.Text;

namespace IntegrationHub.Adapters.Hl7v2.Tests;

/// <summary>Golden files: Golden/NAME.hl7 beside NAME.tree.txt / NAME.ack-*.hl7. HL7_UPDATE_GOLDEN=1 rewrites them (in the source tree).</summary>
static class Golden
{
    public static string Dir => Path.Combine(AppContext.BaseDirectory, "Golden");

    public static byte[] Input(string name) => File.ReadAllBytes(Path.Combine(Dir, name + ".hl7"));

    public static void Check(string file, string actual)
    {
        if (Environment.GetEnvironmentVariable("HL7_UPDATE_GOLDEN") == "1")
        {
            var src = Path.Combine(SourceDir(), "Golden", file);
            File.WriteAllText(src, actual, new UTF8Encoding(false));
            return;
        }
        var expected = File.ReadAllText(Path.Combine(Dir, file), Encoding.UTF8);
        Assert.Equal(expected, actual);
    }

    static string SourceDir()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d is not null && !File.Exists(Path.Combine(d.FullName, "IntegrationHub.Adapters.Hl7v2.Tests.csproj"))) d = d.Parent;
        return d!.FullName;
    }

    /// <summary>Every non-empty leaf as SEG[i]-f[r].c.s = "decoded", plus problems.</summary>
    public static string Tree(Hl7ParseResult r)
    {
        var sb = new StringBuilder();
        foreach (var p in r.Problems) sb.Append("problem ").Append(p).Append('\n');
        if (r.Message is not { } m) return sb.ToString();
        sb.Append($"encoding {m.Encoding.WebName}; delimiters {m.Delimiters.Field}{m.Delimiters.EncodingCharacters}\n");
        foreach (var s in m.Segments)
        {
            sb.Append($"{s.Name} #{s.Index} (occurrence {s.Occurrence})\n");
            for (var f = 1; f <= s.FieldCount; f++)
            {
                var field = s.Field(f);
                if (field.IsEmpty) continue;
                if (field.Level == Hl7Level.Literal) { sb.Append($"  {s.Name}-{f} = \"{field.Value}\"\n"); continue; }
                for (var r1 = 1; r1 <= field.Count; r1++)
                {
                    var rep = field.Repetition(r1);
                    for (var c = 1; c <= rep.Count; c++)
                    {
                        var comp = rep.Child(c);
                        for (var sc = 1; sc <= comp.Count; sc++)
                        {
                            var leaf = comp.Child(sc);
                            if (leaf.IsEmpty) continue;
                            sb.Append($"  {s.Name}-{f}[{r1}].{c}.{sc} = \"{leaf.Value}\"{(leaf.IsTruncated ? " (truncated)" : "")}\n");
                        }
                    }
                }
            }
        }
        return sb.ToString();
    }
}
