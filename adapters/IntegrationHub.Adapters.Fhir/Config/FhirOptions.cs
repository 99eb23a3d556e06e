namespace IntegrationHub.Adapters.Fhir;

/// <summary>How the FHIR adapter is built: its limits and the profiles it knows besides the base specification.</summary>
public sealed class FhirOptions
{
    public FhirLimits Limits { get; set; } = new();

    /// <summary>
    /// Files (or folders of <c>*.json</c>/<c>*.xml</c> files) holding StructureDefinitions to load as profiles, and the
    /// ValueSets and CodeSystems they bind to.
    /// </summary>
    public IList<string> ProfilePaths { get; } = new List<string>();

    /// <summary>StructureDefinitions (or ValueSets, CodeSystems) given as FHIR JSON text.</summary>
    public IList<string> ProfileJson { get; } = new List<string>();

    /// <summary>The R4 specification package; default <c>specification.zip</c> beside the program (copied there by the build).</summary>
    public string? SpecificationZip { get; set; }
}
