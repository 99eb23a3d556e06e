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

    /// <summary>The adapter's readable tree (the one hubctl hl7 parse prints).</summary>
    public static string Tree(Hl7ParseResult r) => Hl7Tree.Write(r);
}
