using Hl7.Fhir.Model;
using IntegrationHub.Adapters.Fhir;

namespace IntegrationHub.Clinical.Fhir;

/// <summary>What a FHIR body turned out to be.</summary>
public enum FhirVerdict
{
    /// <summary>Read and validated without errors (warnings may remain).</summary>
    Valid,

    /// <summary>Read as a resource, but it breaks the specification's or a profile's rules.</summary>
    Invalid,

    /// <summary>Not a FHIR resource: not UTF-8, not JSON or XML, unknown elements or types, past a limit, hostile.</summary>
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
    /// Reads <paramref name="body"/>; a resource that could be read is validated against the specification, the
    /// <paramref name="profiles"/> (canonical URLs) and the profiles it claims, and the issues of both steps are returned.
    /// </summary>
    public FhirCheck Check(ReadOnlySpan<byte> body, FhirFormat format, IReadOnlyList<string>? profiles = null)
    {
        var parsed = adapter.Parse(body, format);
        if (!parsed.Succeeded)
            return new FhirCheck(FhirVerdict.Unreadable, null, parsed.Outcome);

        var validation = adapter.Validate(parsed.Resource!, profiles);
        var outcome = new OperationOutcome { Issue = [.. parsed.Outcome.Issue, .. validation.Issue] };
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
}
