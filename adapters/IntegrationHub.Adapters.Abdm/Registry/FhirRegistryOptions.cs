namespace IntegrationHub.Adapters.Abdm.Registry;

/// <summary>Where and how <see cref="FhirPatientRegistry"/> reaches a department's FHIR R4 server.</summary>
public sealed class FhirRegistryOptions
{
    /// <summary>The FHIR base, e.g. <c>https://his.example.org/fhir</c> (the resource type is appended to it).</summary>
    public required Uri BaseUrl { get; init; }

    public string? BearerToken { get; init; }

    /// <summary>For each request to the FHIR server, reading the answer included.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The identifier system under which the department records ABHA numbers. Configurable because systems vary by
    /// department (NRCeS profiles, HIS vendors and older ABDM material spell it differently).
    /// </summary>
    public string AbhaNumberSystem { get; init; } = "https://healthid.abdm.gov.in";

    /// <summary>The identifier system for ABHA addresses; configurable for the same reason as <see cref="AbhaNumberSystem"/>.</summary>
    public string AbhaAddressSystem { get; init; } = "https://phr.abdm.gov.in";

    /// <summary>
    /// The identifier system of the department's medical record numbers. When null, a medical record number is any
    /// identifier typed <c>MR</c> in <c>http://terminology.hl7.org/CodeSystem/v2-0203</c>, and is searched without a system.
    /// </summary>
    public string? MedicalRecordSystem { get; init; }

    /// <summary>The page size of each patient search (<c>_count</c>). A search with more pages than this one is not decided.</summary>
    public int MaxCandidates { get; init; } = 20;
}
