using Hl7.Fhir.Model;

namespace IntegrationHub.Adapters.Fhir;

/// <summary>
/// FHIR R4 parse, serialize and validate. Thread-safe; build one per process (the validator's resolver is expensive).
/// </summary>
public sealed class FhirAdapter
{
    readonly FhirOptions _options;

    public FhirAdapter(FhirOptions options)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
    }

    public FhirLimits Limits => _options.Limits;

    /// <summary>Parses a UTF-8 JSON or XML body. Never throws for bad input: every problem is an issue of the outcome.</summary>
    public FhirParseResult Parse(ReadOnlySpan<byte> utf8OrXml, FhirFormat format) => throw new NotImplementedException();

    /// <summary>Reads <paramref name="body"/> (refusing it past <see cref="FhirLimits.MaxBytes"/>) and parses it.</summary>
    public FhirParseResult Parse(Stream body, FhirFormat format) => throw new NotImplementedException();

    public string Serialize(Resource resource, FhirFormat format, bool pretty = false) => throw new NotImplementedException();

    /// <summary>
    /// Validates against the base specification, the given profiles and those the resource declares in
    /// <c>meta.profile</c>, and checks that references inside a Bundle resolve.
    /// </summary>
    public OperationOutcome Validate(Resource resource, IReadOnlyList<string>? profileUrls = null) => throw new NotImplementedException();

    /// <summary>Makes a profile (ABDM's, a department's) known to the validator by its canonical URL.</summary>
    public void AddProfile(StructureDefinition profile) => throw new NotImplementedException();

    /// <summary>An outcome with one error issue, for callers that refuse a request before or after the adapter.</summary>
    public static OperationOutcome Problem(string code, string diagnostics, string? expression = null) => throw new NotImplementedException();
}
