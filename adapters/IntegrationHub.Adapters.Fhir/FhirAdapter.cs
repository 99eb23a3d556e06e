using Hl7.Fhir.Model;
using IntegrationHub.Adapters.Fhir.Internals;

namespace IntegrationHub.Adapters.Fhir;

/// <summary>
/// FHIR R4 parse, serialize and validate. Thread-safe; build one per process (the validator's resolver is expensive).
/// </summary>
public sealed class FhirAdapter
{
    readonly FhirParser _parser;
    readonly FhirWriter _writer = new();
    readonly Lazy<ProfileValidator> _validator;

    public FhirAdapter(FhirOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Limits = options.Limits ?? throw new ArgumentException("FhirOptions.Limits is required", nameof(options));
        _parser = new FhirParser(Limits);
        var specification = options.SpecificationZip ?? Path.Combine(AppContext.BaseDirectory, "specification.zip");
        var profiles = ProfileLoader.Load(options, _parser).ToList();
        _validator = new Lazy<ProfileValidator>(() =>
        {
            var validator = new ProfileValidator(specification);
            foreach (var profile in profiles)
                validator.Add(profile);
            return validator;
        });
    }

    public FhirLimits Limits { get; }

    /// <summary>Parses a UTF-8 JSON or XML body. Never throws for bad input: every problem is an issue of the outcome.</summary>
    public FhirParseResult Parse(ReadOnlySpan<byte> utf8OrXml, FhirFormat format) => _parser.Parse(utf8OrXml, format);

    /// <summary>Reads <paramref name="body"/> (refusing it past <see cref="FhirLimits.MaxBytes"/>) and parses it.</summary>
    public FhirParseResult Parse(Stream body, FhirFormat format)
    {
        ArgumentNullException.ThrowIfNull(body);
        var read = BoundedRead.ReadAll(body, Limits.MaxBytes);
        if (read is null)
            return new FhirParseResult(null, Issues.Outcome([Issues.Error(Hl7.Fhir.Model.OperationOutcome.IssueType.TooCostly, $"The body is larger than the limit of {Limits.MaxBytes} bytes")]));
        return _parser.Parse(read.Value.Span, format);
    }

    public string Serialize(Resource resource, FhirFormat format, bool pretty = false)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return _writer.Write(resource, format, pretty);
    }

    /// <summary>UTF-8 bytes of <see cref="Serialize"/>, without the detour through a string.</summary>
    public byte[] SerializeToUtf8(Resource resource, FhirFormat format, bool pretty = false)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return _writer.WriteUtf8(resource, format, pretty);
    }

    /// <summary>
    /// Validates against the base specification, the given profiles and those the resource declares in
    /// <c>meta.profile</c>, and checks that references inside a Bundle resolve.
    /// </summary>
    public Hl7.Fhir.Model.OperationOutcome Validate(Resource resource, IReadOnlyList<string>? profileUrls = null)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var issues = new List<Hl7.Fhir.Model.OperationOutcome.IssueComponent>();
        try
        {
            issues.AddRange(_validator.Value.Validate(resource, profileUrls));
        }
        catch (Exception e) when (e is not (OutOfMemoryException or FileNotFoundException))
        {
            // The SDK's validator throws on a few inputs (e.g. a canonical "http:////host/x" gives a UriFormatException):
            // the resource is still what is wrong, and the caller gets an outcome, not an exception.
            issues.Add(Issues.Error(Hl7.Fhir.Model.OperationOutcome.IssueType.Exception, $"The validator stopped on this resource: {e.GetType().Name}: {e.Message}", resource.TypeName));
        }
        if (resource is Bundle bundle)
            issues.AddRange(BundleReferences.Dangling(bundle));
        return Issues.Outcome(issues);
    }

    /// <summary>
    /// Makes a profile (ABDM's, a department's) known to the validator by its canonical URL; one with the same URL
    /// replaces the earlier one. A differential alone is enough.
    /// </summary>
    public void AddProfile(StructureDefinition profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        _validator.Value.Add(profile);
    }

    /// <summary>Adds a ValueSet or CodeSystem (what a profile's bindings name), or a StructureDefinition, by its canonical URL.</summary>
    public void AddConformanceResource(Resource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        _validator.Value.Add(resource);
    }

    /// <summary>
    /// An outcome with one error issue, for callers that refuse a request before or after the adapter.
    /// <paramref name="code"/> is an IssueType code (<c>invalid</c>, <c>too-costly</c>…); an unknown one becomes <c>processing</c>.
    /// </summary>
    public static Hl7.Fhir.Model.OperationOutcome Problem(string code, string diagnostics, string? expression = null) =>
        Issues.Outcome([Issues.Error(Issues.ParseCode(code), diagnostics, expression)]);
}
