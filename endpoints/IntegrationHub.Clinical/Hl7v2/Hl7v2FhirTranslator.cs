using Hl7.Fhir.Model;
using IntegrationHub.Adapters.Fhir;
using IntegrationHub.Adapters.Hl7v2;
using IntegrationHub.Adapters.Hl7v2Fhir;
using IntegrationHub.Clinical.Fhir;

namespace IntegrationHub.Clinical.Hl7v2;

/// <param name="Output">The FHIR message Bundle, serialized (null unless the message could be mapped).</param>
/// <param name="Outcome">Why not (errors), or what the maps dropped (information issues naming the v2 field).</param>
public sealed record Hl7v2FhirTranslation(FhirVerdict Verdict, string? Output, OperationOutcome Outcome, IReadOnlyList<MapIssue> Dropped);

/// <summary>
/// One HL7 v2 message → its FHIR message Bundle, for <c>POST /api/v1/translate?from=hl7v2&amp;to=fhir</c> and
/// <c>hubctl translate --from hl7v2</c> alike: parsed with the hub's limits, mapped with the deployment's
/// <see cref="Hl7v2FhirOptions"/>. Issues name v2 fields (<c>PID-3[2]</c>), never their values.
/// </summary>
public sealed class Hl7v2FhirTranslator(FhirAdapter fhir, Hl7v2FhirOptions maps, int maxMessageBytes)
{
    readonly Hl7Limits _limits = Hl7Limits.Default with { MaxBytes = maxMessageBytes };

    public Hl7v2FhirTranslation ToFhir(ReadOnlySpan<byte> v2, FhirFormat format, bool pretty = false)
    {
        var parsed = Hl7Parser.Parse(v2, _limits);
        if (parsed.Message is not { } message)
            return Refused(FhirVerdict.Unreadable, [Issue(OperationOutcome.IssueSeverity.Error, OperationOutcome.IssueType.Structure,
                "the body holds no HL7 v2 message (no MSH segment could be read)", null)]);
        if (parsed.Problems.Count > 0)
            return Refused(FhirVerdict.Malformed, parsed.Problems.Select(p => Issue(OperationOutcome.IssueSeverity.Error,
                p.Code is Hl7ErrorCode.UnsupportedMessageType or Hl7ErrorCode.UnsupportedEventCode or Hl7ErrorCode.UnsupportedVersionId
                    ? OperationOutcome.IssueType.NotSupported : OperationOutcome.IssueType.Structure,
                p.Message, Location(p))).ToList());

        var mapping = Hl7v2ToFhir.Map(message, maps);
        var issues = mapping.Issues.Select(i => i.Severity == MapIssueSeverity.Error
            ? Issue(OperationOutcome.IssueSeverity.Error, OperationOutcome.IssueType.Required, i.Text, i.Location)
            : Issue(OperationOutcome.IssueSeverity.Information, OperationOutcome.IssueType.Informational, i.Text, i.Location)).ToList();
        if (!mapping.Succeeded)
            return new Hl7v2FhirTranslation(FhirVerdict.Invalid, null, new OperationOutcome { Issue = issues }, mapping.Issues);
        return new Hl7v2FhirTranslation(FhirVerdict.Valid, fhir.Serialize(mapping.Bundle!, format, pretty), new OperationOutcome { Issue = issues },
            mapping.Issues);
    }

    public string Serialize(Resource resource, FhirFormat format, bool pretty = false) => fhir.Serialize(resource, format, pretty);

    /// <summary>
    /// A valid FHIR resource → one HL7 v2 message: a Bundle (message, transaction, collection) as it is, a Patient alone
    /// as an ADT of it. <paramref name="messageType"/> (ADT^A04, ADT^A08, ORU^R01) overrides what the Bundle implies.
    /// </summary>
    public (string? Message, OperationOutcome Outcome) ToHl7v2(Resource resource, string? messageType)
    {
        var bundle = resource as Bundle ?? new Bundle
        {
            Type = Bundle.BundleType.Collection,
            Entry = [new Bundle.EntryComponent { FullUrl = $"urn:uuid:{resource.Id ?? Guid.NewGuid().ToString()}", Resource = resource }],
        };
        var written = FhirToHl7v2.Write(bundle, new FhirToHl7v2Options { MessageType = messageType, Maps = maps });
        var issues = written.Issues.Select(i => Issue(i.Severity == MapIssueSeverity.Error ? OperationOutcome.IssueSeverity.Error : OperationOutcome.IssueSeverity.Warning,
            i.Severity == MapIssueSeverity.Error ? OperationOutcome.IssueType.Required : OperationOutcome.IssueType.Informational, i.Text, null, i.Location)).ToList();
        return (written.Message, new OperationOutcome { Issue = issues });
    }

    static Hl7v2FhirTranslation Refused(FhirVerdict verdict, List<OperationOutcome.IssueComponent> issues) =>
        new(verdict, null, new OperationOutcome { Issue = issues }, []);

    static string? Location(Hl7Problem problem) =>
        problem.Segment is null ? null
            : problem.Segment + (problem.Field is { } field ? $"-{field}" : "") + (problem.Component is { } component ? $".{component}" : "");

    /// <summary>An issue whose location is a v2 field: FHIRPath does not apply, so it goes in <c>location</c>.</summary>
    static OperationOutcome.IssueComponent Issue(OperationOutcome.IssueSeverity severity, OperationOutcome.IssueType code, string text, string? location,
        string? expression = null)
    {
        var issue = new OperationOutcome.IssueComponent { Severity = severity, Code = code, Details = new CodeableConcept { Text = text } };
        if (location is not null) issue.Location = [location];
        if (expression is not null) issue.Expression = [expression];
        return issue;
    }
}
