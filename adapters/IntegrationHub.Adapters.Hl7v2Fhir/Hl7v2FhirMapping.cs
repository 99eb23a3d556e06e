using Hl7.Fhir.Model;

namespace IntegrationHub.Adapters.Hl7v2Fhir;

/// <summary>What a v2 message is about, in the words of the events the Clinical endpoint publishes.</summary>
public enum ClinicalEventKind
{
    PatientRegistered,
    PatientUpdated,
    EncounterStarted,
    EncounterEnded,
    AppointmentBooked,
    AppointmentChanged,
    AppointmentCancelled,
    ResultsReady,
    ImmunizationRecorded,
}

public enum MapIssueSeverity { Warning, Error }

/// <summary>
/// Something the map could not carry: <see cref="MapIssueSeverity.Error"/> stops the mapping (no Bundle); a warning
/// names what was dropped or changed (the field, e.g. <c>PID-3[2]</c>) — never its value, which may be personal data.
/// </summary>
public sealed record MapIssue(MapIssueSeverity Severity, string Location, string Text)
{
    public override string ToString() => $"{Severity.ToString().ToLowerInvariant()} at {Location}: {Text}";
}

/// <param name="Bundle">A FHIR message Bundle: MessageHeader first, then every resource the message holds (null on error).</param>
/// <param name="Event">What the message is about (null when its trigger has no event).</param>
/// <param name="Subject">The Patient the message is about (also inside the Bundle).</param>
/// <param name="SourceTime">When the sender says the event happened (EVN-2, else MSH-7): orders messages about one subject.</param>
public sealed record Hl7v2FhirMapping(Bundle? Bundle, ClinicalEventKind? Event, Patient? Subject, DateTimeOffset? SourceTime,
    IReadOnlyList<MapIssue> Issues)
{
    public bool Succeeded => Bundle is not null && !Issues.Any(i => i.Severity == MapIssueSeverity.Error);
}
