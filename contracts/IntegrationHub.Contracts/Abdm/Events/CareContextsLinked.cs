using System.Text.Json.Nodes;

namespace IntegrationHub.Contracts.Abdm.Events;

/// <summary>
/// Care contexts of a department's patient are now linked to the patient's ABHA address: the patient confirmed the OTP
/// (<paramref name="InitiatedBy"/> <c>patient</c>) or the gateway took the HIP's link (<c>hip</c>).
/// </summary>
[WebhookType("abdm.care_contexts_linked")]
public sealed record CareContextsLinked(string LinkId, string Department, string HipId, string PatientReference, string AbhaAddress,
    IReadOnlyList<string> CareContexts, string InitiatedBy, DateTimeOffset At) : IDepartmentEvent
{
    string IDepartmentEvent.Subject => PatientReference;
    DateTimeOffset IDepartmentEvent.OccurredAt => At;

    public JsonObject WebhookData() => new()
    {
        ["linkId"] = LinkId,
        ["hipId"] = HipId,
        ["patientReference"] = PatientReference,
        ["abhaAddress"] = AbhaAddress,
        ["careContexts"] = new JsonArray([.. CareContexts.Select(c => JsonValue.Create(c))]),
        ["initiatedBy"] = InitiatedBy,
    };
}

/// <summary>
/// A link the department asked for (HIP-initiated) did not happen: the gateway refused a step, or did not answer in time.
/// <paramref name="Reason"/> carries the step and ABDM's error code, never personal data.
/// </summary>
[WebhookType("abdm.link_failed")]
public sealed record CareContextsLinkFailed(string LinkId, string Department, string HipId, string PatientReference, string Reason,
    DateTimeOffset At) : IDepartmentEvent
{
    string IDepartmentEvent.Subject => PatientReference;
    DateTimeOffset IDepartmentEvent.OccurredAt => At;

    public JsonObject WebhookData() => new()
    {
        ["linkId"] = LinkId,
        ["hipId"] = HipId,
        ["patientReference"] = PatientReference,
        ["reason"] = Reason,
    };
}

/// <summary>
/// A patient linking through ABDM needs this one-time password, and the department sends it (the default OTP sender,
/// <c>Hub:Abdm:Linking:OtpSender = webhook</c>): by SMS to the number it holds for <paramref name="PatientReference"/>.
/// The webhook is signed and goes only to the department; the OTP is never logged.
/// </summary>
[WebhookType("abdm.link_otp")]
public sealed record LinkOtpRequested(string LinkRefNumber, string Department, string PatientReference, string Otp, DateTimeOffset ExpiresAt,
    DateTimeOffset At) : IDepartmentEvent
{
    string IDepartmentEvent.Subject => PatientReference;
    DateTimeOffset IDepartmentEvent.OccurredAt => At;

    public JsonObject WebhookData() => new()
    {
        ["linkRefNumber"] = LinkRefNumber,
        ["patientReference"] = PatientReference,
        ["otp"] = Otp,
        ["expiresAt"] = ExpiresAt,
    };
}
