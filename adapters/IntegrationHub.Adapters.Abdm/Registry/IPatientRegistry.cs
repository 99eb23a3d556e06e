namespace IntegrationHub.Adapters.Abdm.Registry;

/// <summary>
/// What ABDM tells a HIP about the patient it is looking for (discover): identifiers the patient verified (mobile, ABHA
/// number, ABHA address), others (a medical record number), and demographics.
/// </summary>
public sealed record PatientQuery(
    string AbhaAddress,
    IReadOnlyList<PatientIdentifier> VerifiedIdentifiers,
    IReadOnlyList<PatientIdentifier> UnverifiedIdentifiers,
    string? Name,
    string? Gender,
    int? YearOfBirth);

/// <summary><paramref name="Type"/> as ABDM names it: <c>MOBILE</c>, <c>NDHM_HEALTH_NUMBER</c> / <c>ABHA_NUMBER</c>, <c>HEALTH_ID</c> / <c>ABHA_ADDRESS</c>, <c>MR</c>.</summary>
public sealed record PatientIdentifier(string Type, string Value);

/// <summary>One visit, admission or record set the HIP can share: ABDM's care context.</summary>
/// <param name="HiType">The v3 HI type (OPConsultation, Prescription, DischargeSummary, DiagnosticReport, …), when known.</param>
public sealed record CareContext(string ReferenceNumber, string Display, string? HiType = null);

/// <summary>A patient the department's registry holds, as ABDM shows it (no more personal data than ABDM needs).</summary>
/// <param name="ReferenceNumber">The department's own patient reference (ABDM's <c>patient.referenceNumber</c>).</param>
/// <param name="MatchedBy">Which identifiers matched: <c>MOBILE</c>, <c>ABHA_NUMBER</c>, <c>MR</c>, …</param>
/// <param name="Mobile">Where a link OTP goes (never logged, never sent to ABDM in clear).</param>
public sealed record RegistryPatient(string ReferenceNumber, string Display, IReadOnlyList<CareContext> CareContexts,
    IReadOnlyList<string> MatchedBy, string? Mobile);

/// <summary>What a registry search found.</summary>
public abstract record PatientMatch
{
    public sealed record Found(RegistryPatient Patient) : PatientMatch;

    /// <summary>No patient, or more than one (ABDM must never link the wrong person): <paramref name="Reason"/> says which, without data.</summary>
    public sealed record NotFound(string Reason) : PatientMatch;
}

/// <summary>
/// A department's patient registry as ABDM discovery and linking use it. Implementations: <c>FhirPatientRegistry</c> (the
/// department's FHIR server, by identifier and demographics) and <c>InMemoryPatientRegistry</c> (simulator, tests). The
/// registry being unreachable is thrown (<see cref="HttpRequestException"/>), so the flow can retry or answer ABDM with an error.
/// </summary>
public interface IPatientRegistry
{
    Task<PatientMatch> Find(PatientQuery query, CancellationToken cancellationToken = default);

    /// <summary>The patient with this reference and its care contexts, or null.</summary>
    Task<RegistryPatient?> Get(string referenceNumber, CancellationToken cancellationToken = default);
}
