using Hl7.Fhir.Model;
using IntegrationHub.Adapters.Fhir;

namespace IntegrationHub.Clinical.Fhir;

/// <summary>What a FHIR body turned out to be.</summary>
public enum FhirVerdict
{
    /// <summary>Read and validated without errors (warnings may remain).</summary>
    Valid,

    /// <summary>Well-formed, but it breaks the specification's rules (cardinality, invariants…) or a profile's.</summary>
    Invalid,

    /// <summary>
    /// Read only in part: the parser found what FHIR's JSON or XML rules do not allow (an unknown element, a value of
    /// the wrong type, a code outside a required value set). Not validated further: a partial read is not the input.
    /// </summary>
    Malformed,

    /// <summary>No resource at all: not UTF-8, not JSON or XML, no known resource type, past a limit, a DTD.</summary>
    Unreadable,
}

/// <summary>A body checked: the verdict and the OperationOutcome that says where and why.</summary>
public sealed record FhirCheck(FhirVerdict Verdict, Resource? Resource, OperationOutcome Outcome);

/// <summary>A body translated: the normalised resource (null unless valid) and the outcome of the check.</summary>
public sealed record FhirTranslation(FhirVerdict Verdict, string? Output, OperationOutcome Outcome);

/// <summary>
/// Parse, validate, serialize through the one FHIR adapter: what the Clinical routes and hubctl's <c>translate</c> and
/// <c>validate</c> do alike. Resource contents are never logged.
/// </summary>
public sealed class FhirChecks(FhirAdapter adapter)
{
    public FhirAdapter Adapter => adapter;

    /// <summary>
    /// Reads <paramref name="body"/>; a resource read without errors is validated against the specification, the
    /// <paramref name="profiles"/> (canonical URLs) and the profiles it claims, and the issues of both steps are returned.
    /// </summary>
    public FhirCheck Check(ReadOnlySpan<byte> body, FhirFormat format, IReadOnlyList<string>? profiles = null)
    {
        var parsed = adapter.Parse(body, format);
        // The SDK's best effort for an unknown or missing resourceType is a DynamicResource: no resource of FHIR's.
        if (parsed.Resource is null or DynamicResource)
            return new FhirCheck(FhirVerdict.Unreadable, null, parsed.Outcome);
        if (!parsed.Succeeded)
            return new FhirCheck(FhirVerdict.Malformed, null, parsed.Outcome);

        var validation = adapter.Validate(parsed.Resource!, profiles);
        var outcome = new OperationOutcome { Issue = [.. ParseIssuesNotRepeated(parsed.Outcome, validation), .. validation.Issue] };
        return new FhirCheck(FhirIssues.HasErrors(outcome) ? FhirVerdict.Invalid : FhirVerdict.Valid, parsed.Resource, outcome);
    }

    /// <summary>FHIR to FHIR: the resource in <paramref name="to"/> when it is valid, as the adapter writes it.</summary>
    public FhirTranslation Translate(ReadOnlySpan<byte> body, FhirFormat from, FhirFormat to, bool pretty = false)
    {
        var check = Check(body, from);
        return check.Verdict == FhirVerdict.Valid
            ? new FhirTranslation(check.Verdict, adapter.Serialize(check.Resource!, to, pretty), check.Outcome)
            : new FhirTranslation(check.Verdict, null, check.Outcome);
    }

    public string Serialize(Resource resource, FhirFormat format, bool pretty = false) => adapter.Serialize(resource, format, pretty);

    /// <summary>
    /// The parser's warnings, but those the validator reports again as an error on the same element (the adapter
    /// downgrades what its validator re-checks, so a wrong code would otherwise be told twice). The parser writes
    /// <c>Patient.name[0].family</c> where the validator writes <c>Patient.name[0].family[0]</c>.
    /// </summary>
    static IEnumerable<OperationOutcome.IssueComponent> ParseIssuesNotRepeated(OperationOutcome parsed, OperationOutcome validation)
    {
        var validated = validation.Issue.Where(FhirIssues.IsError).SelectMany(i => i.Expression).Select(Element).ToHashSet(StringComparer.Ordinal);
        return parsed.Issue.Where(i => !i.Expression.Select(Element).Any(validated.Contains));
    }

    static string Element(string? expression) => (expression ?? "").Replace("[0]", "", StringComparison.Ordinal);
}
