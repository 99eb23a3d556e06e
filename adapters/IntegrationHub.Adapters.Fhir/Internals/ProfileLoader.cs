using System.Text;
using Hl7.Fhir.Model;

namespace IntegrationHub.Adapters.Fhir.Internals;

/// <summary>
/// The conformance resources named by <see cref="FhirOptions"/> (files, folders of files, JSON text): StructureDefinitions,
/// and the ValueSets and CodeSystems their bindings need.
/// </summary>
static class ProfileLoader
{
    public static IEnumerable<Resource> Load(FhirOptions options, FhirParser parser)
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

    static Resource Read(FhirParser parser, byte[] body, FhirFormat format, string source)
    {
        var result = parser.Parse(body, format);
        if (!result.Succeeded || result.Resource is not (StructureDefinition or ValueSet or CodeSystem))
        {
            var why = result.Resource is null || result.Resource is StructureDefinition or ValueSet or CodeSystem
                ? string.Join("; ", result.Outcome.Issue.Where(Issues.IsError).Select(i => i.Diagnostics))
                : $"it is a {result.Resource.TypeName}, not a StructureDefinition, ValueSet or CodeSystem";
            throw new InvalidOperationException($"FHIR profile {source} cannot be loaded: {why}");
        }
        return result.Resource;
    }
}
