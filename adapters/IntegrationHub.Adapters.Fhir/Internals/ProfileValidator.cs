using Firely.Fhir.Validation;
using Hl7.Fhir.Model;
using Hl7.Fhir.Specification.Snapshot;
using Hl7.Fhir.Specification.Source;
using Hl7.Fhir.Specification.Terminology;
using static Hl7.Fhir.Model.OperationOutcome;

namespace IntegrationHub.Adapters.Fhir.Internals;

/// <summary>
/// Firely's validator over the R4 specification package (specification.zip: StructureDefinitions, the value sets that
/// ship with it, FHIRPath invariants) plus the profiles given as data. Built once: resolving and compiling the
/// specification's schemas is the expensive part, and the resolver caches both.
/// </summary>
sealed class ProfileValidator
{
    readonly InMemoryResourceResolver _profiles = new();
    readonly IAsyncResourceResolver _specification;
    readonly object _gate = new();
    readonly List<Resource> _added = [];
    Validator _validator;

    public ProfileValidator(string specificationZip)
    {
        if (!File.Exists(specificationZip))
            throw new FileNotFoundException($"The FHIR R4 specification package is missing at {specificationZip} (it comes with Hl7.Fhir.Specification.Data.R4)", specificationZip);
        _specification = new CachedResolver(new ZipSource(specificationZip)).AsAsync();
        _validator = Build();
    }

    /// <summary>A StructureDefinition, ValueSet or CodeSystem; one with the same type and url replaces the earlier one.</summary>
    public void Add(Resource resource)
    {
        var url = UrlOf(resource) ?? throw new ArgumentException(resource is StructureDefinition or ValueSet or CodeSystem
            ? $"The {resource.TypeName} needs a canonical url"
            : $"Only StructureDefinition, ValueSet and CodeSystem can be added, not {resource.TypeName}", nameof(resource));
        lock (_gate)
        {
            if (resource is StructureDefinition { HasSnapshot: false } differentialOnly)
                resource = WithSnapshot(differentialOnly);
            _added.RemoveAll(r => r.TypeName == resource.TypeName && UrlOf(r) == url);
            _added.Add(resource);
            _profiles.Reload(_added);
            // A new validator, so that no schema compiled before (or a miss cached for this url) outlives the change.
            _validator = Build();
        }
    }

    public IEnumerable<IssueComponent> Validate(Resource resource, IReadOnlyList<string>? profileUrls)
    {
        var validator = Volatile.Read(ref _validator);
        if (profileUrls is not { Count: > 0 })
            return validator.Validate(resource).Issue;
        return profileUrls.SelectMany(url => validator.Validate(resource, url).Issue);
    }

    static string? UrlOf(Resource resource) => resource switch
    {
        StructureDefinition sd => sd.Url,
        ValueSet vs => vs.Url,
        CodeSystem cs => cs.Url,
        _ => null,
    } is { Length: > 0 } url ? url : null;

    /// <summary>
    /// The snapshot of a profile given as a differential, generated once when it is added. Not on the fly through a
    /// SnapshotSource: Firely's snapshot generator is not thread-safe, and shared by concurrent validations it fails at
    /// random ("Invalid snapshot generator state").
    /// </summary>
    StructureDefinition WithSnapshot(StructureDefinition profile)
    {
        var copy = (StructureDefinition)profile.DeepCopy();
        var generator = new SnapshotGenerator(new MultiResolver(_profiles, _specification));
        generator.UpdateAsync(copy).GetAwaiter().GetResult(); // Add is rare (start-up, a new profile): blocking is fine
        if (!copy.HasSnapshot)
            throw new ArgumentException($"No snapshot could be generated for profile {profile.Url}: "
                + string.Join("; ", generator.Outcome?.Issue.Select(i => i.Diagnostics ?? i.Details?.Text) ?? []), nameof(profile));
        return copy;
    }

    Validator Build()
    {
        // Profiles given as data first, so that a department's own are found; the base specification's are in the zip.
        var resolver = new CachedResolver(new MultiResolver(_profiles, _specification));
        var asyncResolver = resolver.AsAsync();
        var terminology = new LocalTerminologyService(asyncResolver);
        return new Validator(asyncResolver, terminology, null, new ValidationSettings());
    }
}
