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
        var type = resource?.TypeName ?? "Resource";
        var issues = (errors ?? []).Select(e => ToIssue(e, type)).ToList();
        if (resource is not null && BundleEntries.Count(resource) is var entries && entries > limits.MaxBundleEntries)
            issues.Add(Issues.Error(IssueType.TooCostly, $"The bundle has {entries} entries; the limit is {limits.MaxBundleEntries}", "Bundle.entry"));
        if (resource is null && !issues.Any(Issues.IsError))
            issues.Add(Issues.Error(IssueType.Structure, "The body holds no FHIR resource"));
        return new FhirParseResult(resource, Issues.Outcome(issues));
    }

    /// <summary>
    /// The SDK's recoverable errors that the validator checks again (cardinality, a code outside its required value set,
    /// a literal's format, the narrative's rules) are warnings here: all the data is in the resource, it is usable, and
    /// <see cref="FhirAdapter.Validate"/> reports the same finding as an error. Every other error stays one, wrong JSON
    /// types included: the SDK keeps <c>"active": "yes"</c> as text, but the validator would not see it.
    /// </summary>
    static readonly HashSet<string> RecheckedByTheValidator = new(StringComparer.Ordinal)
    {
        "PVAL105", // minimum cardinality
        "PVAL115", // narrative xhtml rules
        "PVAL116", // code not in the element's enumeration
        "PVAL124", // literal does not match the type's regex (uri, id, code, ...)
    };

    static IssueComponent ToIssue(CodedException error, string resourceType)
    {
        if (error is not ExtendedCodedException extended)
            return Issues.Error(IssueType.Invalid, $"{error.ErrorCode}: {error.Message}");
        var at = extended.LineNumber is { } line ? new Position(line, extended.Position ?? 0) : (Position?)null;
        var downgrade = extended.IssueSeverity is IssueSeverity.Error && CodedExceptionFilters.FilterRecoverableIssues(error)
            && (RecheckedByTheValidator.Contains(error.ErrorCode) || IsDecimalBeyondDotNet(extended));
        var path = extended.InstancePath is { } p && p.StartsWith("$this", StringComparison.Ordinal) ? resourceType + p[5..] : extended.InstancePath;
        return Issues.Make(downgrade ? IssueSeverity.Warning : extended.IssueSeverity, extended.IssueType, $"{error.ErrorCode}: {extended.BaseErrorMessage}", path, at);
    }

    /// <summary>
    /// A FHIR decimal such as <c>-1.0E+245</c> is valid but beyond .NET's decimal: the SDK keeps its text (PVAL123) and
    /// the serializer writes it back as the same number (<see cref="LosslessJsonSerializer"/>).
    /// </summary>
    static bool IsDecimalBeyondDotNet(ExtendedCodedException error) =>
        error.ErrorCode == "PVAL123" && error.BaseErrorMessage.EndsWith("literal for a decimal.", StringComparison.Ordinal)
        && error.BaseErrorMessage.Split('\'') is [_, var text, ..] && LosslessJsonSerializer.IsDecimalLiteral(text);

    static FhirParseResult Refused(IssueComponent issue) => new(null, Issues.Outcome([issue]));

    static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];
}
