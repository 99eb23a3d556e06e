using System.Text;
using Hl7.Fhir.Model;

namespace IntegrationHub.Adapters.Fhir.Internals;

/// <summary>The StructureDefinitions named by <see cref="FhirOptions"/>: files, folders of files, JSON text.</summary>
static class ProfileLoader
{
    public static IEnumerable<StructureDefinition> Load(FhirOptions options, FhirParser parser)
    {
        foreach (var path in options.ProfilePaths)
        {
            var files = Directory.Exists(path)
                ? Directory.EnumerateFiles(path, "*.json").Concat(Directory.EnumerateFiles(path, "*.xml")).Order(StringComparer.Ordinal).AsEnumerable()
                : new[] { path };
            foreach (var file in files)
                yield return Read(parser, File.ReadAllBytes(file), file.EndsWith(".xml", StringComparison.OrdinalIgnoreCase) ? FhirFormat.Xml : FhirFormat.Json, file);
        }
        var index = 0;
        foreach (var json in options.ProfileJson)
            yield return Read(parser, Encoding.UTF8.GetBytes(json), FhirFormat.Json, $"ProfileJson[{index++}]");
    }

    static StructureDefinition Read(FhirParser parser, byte[] body, FhirFormat format, string source)
    {
        var result = parser.Parse(body, format);
        if (!result.Succeeded || result.Resource is not StructureDefinition profile)
        {
            var why = result.Resource is null or StructureDefinition
                ? string.Join("; ", result.Outcome.Issue.Select(i => i.Diagnostics))
                : $"it is a {result.Resource.TypeName}, not a StructureDefinition";
            throw new InvalidOperationException($"FHIR profile {source} cannot be loaded: {why}");
        }
        return profile;
    }
}
