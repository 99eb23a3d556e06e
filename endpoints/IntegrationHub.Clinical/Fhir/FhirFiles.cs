using Hl7.Fhir.Model;
using IntegrationHub.Adapters.Fhir;

namespace IntegrationHub.Clinical.Fhir;

/// <summary>FHIR read from files and standard input, for the endpoint's profile settings and for hubctl.</summary>
public static class FhirFiles
{
    /// <summary>XML when the first character (after a byte order mark and white space) is <c>&lt;</c>; JSON otherwise.</summary>
    public static FhirFormat Sniff(ReadOnlySpan<byte> content)
    {
        if (content.StartsWith("\uFEFF"u8)) content = content[3..];
        foreach (var b in content)
        {
            if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n') continue;
            return b == (byte)'<' ? FhirFormat.Xml : FhirFormat.Json;
        }
        return FhirFormat.Json;
    }

    /// <summary>
    /// The content of <paramref name="path"/> (standard input for <c>-</c>), or null with <paramref name="problem"/>
    /// saying why not: it cannot be read, or it holds more than <paramref name="maxBytes"/>.
    /// </summary>
    public static byte[]? Read(string path, long maxBytes, out string? problem)
    {
        var name = path == "-" ? "standard input" : path;
        try
        {
            using var stream = path == "-" ? Console.OpenStandardInput() : File.OpenRead(path);
            var content = ReadLimited(stream, maxBytes);
            problem = content is null ? $"{name} is larger than {maxBytes} bytes" : null;
            return content;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = $"cannot read {name} ({e.Message})";
            return null;
        }
    }

    static byte[]? ReadLimited(Stream input, long maxBytes)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        int read;
        while ((read = input.Read(chunk)) > 0)
        {
            if (buffer.Length + read > maxBytes) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>The files a profile setting names: the file itself, or the <c>*.json</c> and <c>*.xml</c> files of a folder.</summary>
    public static IReadOnlyList<string> ProfileFiles(string path) =>
        Directory.Exists(path)
            ? Directory.EnumerateFiles(path).Where(f => f.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".xml", StringComparison.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal).ToList()
            : [path];

    /// <summary>
    /// The conformance resource in <paramref name="file"/> — a profile (StructureDefinition), or a ValueSet or CodeSystem
    /// a profile binds to — with its canonical URL, read with <paramref name="adapter"/>; null with
    /// <paramref name="problem"/> saying why not, in words an operator can act on.
    /// </summary>
    public static (Resource Resource, string Url)? ReadConformanceResource(FhirAdapter adapter, string file, out string? problem)
    {
        if (Read(file, adapter.Limits.MaxBytes, out problem) is not { } content)
            return null;

        // By its extension, as the adapter reads the files of FhirOptions.ProfilePaths.
        var parsed = adapter.Parse(content, file.EndsWith(".xml", StringComparison.OrdinalIgnoreCase) ? FhirFormat.Xml : FhirFormat.Json);
        var url = parsed.Resource switch
        {
            StructureDefinition d => d.Url,
            ValueSet v => v.Url,
            CodeSystem c => c.Url,
            _ => null,
        };
        problem = !parsed.Succeeded ? $"{file} is not readable FHIR: {FirstError(parsed.Outcome)}"
            : parsed.Resource is not (StructureDefinition or ValueSet or CodeSystem) ? $"{file} holds a {parsed.Resource!.TypeName}, not a StructureDefinition, ValueSet or CodeSystem"
            : string.IsNullOrWhiteSpace(url) ? $"{file} holds a {parsed.Resource.TypeName} without a canonical url"
            : null;
        return problem is null ? (parsed.Resource!, url!) : null;
    }

    static string FirstError(OperationOutcome outcome) =>
        outcome.Issue.FirstOrDefault(FhirIssues.IsError) is { } issue
            ? FhirIssues.Describe(issue)
            : "no resource in it";
}
