using System.Text.Json.Nodes;

namespace IntegrationHub.Contracts.Clinical.Events;

/// <summary>An identifier of the patient an event is about: FHIR Identifier.system (may be empty), value, v2 type (MR, NI…).</summary>
public sealed record SubjectIdentifier(string? System, string Value, string? Type);

/// <summary>
/// What an HL7 v2 message told the hub about a patient, as FHIR (docs/events.md): published by the Clinical endpoint once
/// per accepted message whose trigger has a map. <see cref="Bundle"/> is the FHIR message Bundle (JSON) after the HL7
/// v2-to-FHIR IG; it holds personal data — never log it.
/// <para>
/// <b>Order.</b> <see cref="Version"/> is when the sender says the event happened (EVN-2, else MSH-7), in Unix
/// milliseconds; <see cref="IsLatest"/> is false when a message about the same patient with a later version was handled
/// first (e.g. an A08 overtaking its A04). A subscriber keeping patient data applies an event only when its version is
/// not older than the one it holds, so a late message never overwrites newer data.
/// </para>
/// </summary>
public abstract record ClinicalEvent : IDepartmentEvent
{
    /// <summary>The id of this event (one per source message and event: a redelivery has the same id).</summary>
    public string EventId { get; init; } = "";
    public string Department { get; init; } = "";
    /// <summary>The <see cref="Hl7v2MessageAccepted.MessageId"/> it was mapped from.</summary>
    public string SourceMessageId { get; init; } = "";
    /// <summary>MSH-3^MSH-4 of the sender, and its MSH-10.</summary>
    public string Sender { get; init; } = "";
    public string ControlId { get; init; } = "";
    /// <summary>MSH-9.1^MSH-9.2, e.g. <c>ADT^A04</c>.</summary>
    public string MessageType { get; init; } = "";
    /// <summary>The Patient's id in <see cref="Bundle"/>: the same for the same patient in every message of the sender.</summary>
    public string PatientId { get; init; } = "";
    public IReadOnlyList<SubjectIdentifier> Identifiers { get; init; } = [];
    public long Version { get; init; }
    public bool IsLatest { get; init; }
    public string Bundle { get; init; } = "";
    public DateTimeOffset OccurredAt { get; init; }

    string IDepartmentEvent.Subject => PatientId;

    public JsonObject WebhookData() => new()
    {
        ["patientId"] = PatientId,
        ["identifiers"] = new JsonArray([.. Identifiers.Select(i => (JsonNode)new JsonObject { ["system"] = i.System, ["value"] = i.Value, ["type"] = i.Type })]),
        ["messageType"] = MessageType,
        ["controlId"] = ControlId,
        ["version"] = Version,
        ["isLatest"] = IsLatest,
        ["bundle"] = WebhookJson.Parse(Bundle),
    };
}

/// <summary>ADT^A04 (registered as an outpatient) or ADT^A28 (person added).</summary>
[WebhookType("patient.registered")]
public sealed record PatientRegistered : ClinicalEvent;

/// <summary>ADT^A08 (patient information updated) or ADT^A31 (person updated).</summary>
[WebhookType("patient.updated")]
public sealed record PatientUpdated : ClinicalEvent;

/// <summary>ADT^A01: admitted; the Bundle's Encounter is in progress.</summary>
[WebhookType("encounter.started")]
public sealed record EncounterStarted : ClinicalEvent;

/// <summary>ADT^A03: discharged; the Bundle's Encounter is finished.</summary>
[WebhookType("encounter.ended")]
public sealed record EncounterEnded : ClinicalEvent;

/// <summary>SIU^S12: a new appointment.</summary>
[WebhookType("appointment.booked")]
public sealed record AppointmentBooked : ClinicalEvent;

/// <summary>SIU^S14: an appointment modified.</summary>
[WebhookType("appointment.changed")]
public sealed record AppointmentChanged : ClinicalEvent;

/// <summary>SIU^S15: an appointment cancelled.</summary>
[WebhookType("appointment.cancelled")]
public sealed record AppointmentCancelled : ClinicalEvent;

/// <summary>ORU^R01: results (a DiagnosticReport and its Observations).</summary>
[WebhookType("results.ready")]
public sealed record ResultsReady : ClinicalEvent;

/// <summary>VXU^V04: an immunization given (or recorded as not given).</summary>
[WebhookType("immunization.recorded")]
public sealed record ImmunizationRecorded : ClinicalEvent;
