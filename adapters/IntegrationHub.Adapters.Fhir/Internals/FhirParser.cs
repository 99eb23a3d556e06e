using System.Text.Json;
using System.Xml;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Utility;
using static Hl7.Fhir.Model.OperationOutcome;

namespace IntegrationHub.Adapters.Fhir.Internals;

/// <summary>
/// Bytes to a resource, every problem an issue: the input checks first (limits, UTF-8, duplicate keys, DTDs), then the
/// SDK's deserializer in strict mode, whose errors keep their element path and line/position.
/// </summary>
sealed class FhirParser(FhirLimits limits)
{
    // Strict: every deviation from the FHIR JSON/XML rules is reported; the SDK still returns its best-effort result.
    static readonly DeserializerSettings Settings = new DeserializerSettings().UsingMode(DeserializationMode.Strict);
    readonly FhirJsonDeserializer _json = new(Settings);
    readonly FhirXmlDeserializer _xml = new(Settings);

    public FhirParseResult Parse(ReadOnlySpan<byte> body, FhirFormat format)
    {
        if (body.Length > limits.MaxBytes)
            return Refused(Issues.Error(IssueType.TooCostly, $"The body is {body.Length} bytes; the limit is {limits.MaxBytes}"));
        if (body.IsEmpty)
            return Refused(Issues.Error(IssueType.Structure, "The body is empty"));
        try
        {
            return format == FhirFormat.Json ? ParseJson(body) : ParseXml(body);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The SDK should report through its error list; anything it throws instead is still the input's fault.
            return Refused(Issues.Error(IssueType.Exception, $"The body could not be read: {e.Message}"));
        }
    }

    FhirParseResult ParseJson(ReadOnlySpan<byte> body)
    {
        if (body.StartsWith(Utf8Bom))
            body = body[Utf8Bom.Length..];
        if (JsonInputCheck.Check(body, limits) is { } problem)
            return Refused(problem);
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = limits.MaxDepth + 1 });
        _json.TryDeserializeResource(ref reader, out var resource, out var errors);
        return Result(resource, errors);
    }

    FhirParseResult ParseXml(ReadOnlySpan<byte> body)
    {
        // XmlReader reads a stream; one copy of the bytes, the price of the span-based API.
        var bytes = body.ToArray();
        if (XmlInput.Check(new MemoryStream(bytes, writable: false), limits) is { } problem)
            return Refused(problem);
        using var reader = XmlInput.Open(new MemoryStream(bytes, writable: false));
        _xml.TryDeserializeResource(reader, out var resource, out var errors);
        return Result(resource, errors);
    }

    FhirParseResult Result(Resource? resource, IEnumerable<CodedException>? errors)
    {
        var issues = (errors ?? []).Select(ToIssue).ToList();
        if (resource is not null && BundleEntries.Count(resource) is var entries && entries > limits.MaxBundleEntries)
            issues.Add(Issues.Error(IssueType.TooCostly, $"The bundle has {entries} entries; the limit is {limits.MaxBundleEntries}", "Bundle.entry"));
        if (resource is null && !issues.Any(Issues.IsError))
            issues.Add(Issues.Error(IssueType.Structure, "The body holds no FHIR resource"));
        return new FhirParseResult(resource, Issues.Outcome(issues));
    }

    static IssueComponent ToIssue(CodedException error)
    {
        if (error is not ExtendedCodedException extended)
            return Issues.Error(IssueType.Invalid, $"{error.ErrorCode}: {error.Message}");
        var at = extended.LineNumber is { } line ? new Position(line, extended.Position ?? 0) : (Position?)null;
        return Issues.Make(extended.IssueSeverity, extended.IssueType, $"{error.ErrorCode}: {extended.BaseErrorMessage}", extended.InstancePath, at);
    }

    static FhirParseResult Refused(IssueComponent issue) => new(null, Issues.Outcome([issue]));

    static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];
}
