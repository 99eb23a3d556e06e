namespace IntegrationHub.Contracts.Abdm.Commands;

/// <summary>One care context a department links (HIP-initiated); <paramref name="HiType"/> is ABDM's v3 HI type.</summary>
public sealed record LinkedCareContext(string ReferenceNumber, string Display, string HiType);

/// <summary>
/// A department links care contexts of one of its patients to the patient's ABHA address (v3 HIP-initiated linking: link
/// token, link, new-record notice). Sent by <c>POST /api/v1/abdm/links</c>; <paramref name="LinkId"/> is its status resource.
/// </summary>
public sealed record LinkCareContexts(string LinkId, string Department, string HipId, string AbhaAddress, string? AbhaNumber,
    string PatientReference, string PatientName, string? Gender, int? YearOfBirth, IReadOnlyList<LinkedCareContext> CareContexts);
