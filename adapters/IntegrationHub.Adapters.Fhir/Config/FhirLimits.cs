namespace IntegrationHub.Adapters.Fhir;

/// <summary>What the adapter accepts before it refuses an input; each breach is an issue naming the limit.</summary>
public sealed record FhirLimits
{
    /// <summary>Largest body, in bytes (default 64 MiB).</summary>
    public long MaxBytes { get; init; } = 64 * 1024 * 1024;

    /// <summary>
    /// Deepest nesting: JSON objects and arrays (each counts a level), XML elements (default 64; the deepest official R4
    /// example nests 22 JSON levels).
    /// </summary>
    public int MaxDepth { get; init; } = 64;

    /// <summary>Longest single string value, in characters (default 16 Mi).</summary>
    public int MaxStringLength { get; init; } = 16 * 1024 * 1024;

    /// <summary>Most entries in one Bundle, nested bundles included (default 100,000).</summary>
    public int MaxBundleEntries { get; init; } = 100_000;
}
