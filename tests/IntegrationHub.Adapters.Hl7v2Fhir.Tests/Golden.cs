using System.Text;
using IntegrationHub.Adapters.Fhir;
using IntegrationHub.Adapters.Hl7v2;

namespace IntegrationHub.Adapters.Hl7v2Fhir.Tests;

/// <summary>
/// Golden files: Golden/NAME.hl7 beside NAME.fhir.json (the Bundle) and NAME.dropped.txt (what the maps said they
/// dropped). HL7_UPDATE_GOLDEN=1 rewrites the expected files in the source tree — then read the diff before committing.
/// </summary>
static class Golden
{
    public static string Dir => Path.Combine(AppContext.BaseDirectory, "Golden");

    public static IEnumerable<string> Names() =>
        Directory.EnumerateFiles(Dir, "*.hl7").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal)!;

    public static Hl7Message Message(string name)
    {
        var parsed = Hl7Parser.Parse(File.ReadAllBytes(Path.Combine(Dir, name + ".hl7")));
        Assert.Empty(parsed.Problems);
        return parsed.Message!;
    }

    public static readonly FhirAdapter Fhir = new(new FhirOptions());

    /// <summary>The options the golden files are written with: a PK/IN deployment naming its national identifier systems.</summary>
    public static readonly Hl7v2FhirOptions Options = new()
    {
        IdentifierSystems = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["NADRA"] = "https://nadra.gov.pk/cnic",
            ["ABHA"] = "https://healthid.abdm.gov.in",
        },
        CodeSystems = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["L"] = "https://hospital.example/allergens" },
        DefaultOffset = TimeSpan.FromHours(5),
    };

    public static void Check(string file, string actual)
    {
        if (Environment.GetEnvironmentVariable("HL7_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(Path.Combine(SourceDir(), "Golden", file), actual, new UTF8Encoding(false));
            return;
        }
        var path = Path.Combine(Dir, file);
        Assert.True(File.Exists(path), $"{file} is missing: run with HL7_UPDATE_GOLDEN=1 and read what it wrote");
        Assert.Equal(File.ReadAllText(path, Encoding.UTF8), actual);
    }

    static string SourceDir()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d is not null && !File.Exists(Path.Combine(d.FullName, "IntegrationHub.Adapters.Hl7v2Fhir.Tests.csproj"))) d = d.Parent;
        return d!.FullName;
    }
}
