using System.Diagnostics.Metrics;
using IntegrationHub.Adapters.Fhir;
using IntegrationHub.Adapters.Hl7v2;
using IntegrationHub.Adapters.Hl7v2Fhir;
using IntegrationHub.Clinical.Routes;
using IntegrationHub.Contracts.Clinical.Commands;
using IntegrationHub.Contracts.Clinical.Events;
using IntegrationHub.Hosting;
using Rebus.Bus;
using Rebus.Exceptions;
using Rebus.Handlers;

namespace IntegrationHub.Clinical.Hl7v2;

/// <summary>
/// Every accepted HL7 v2 message becomes FHIR and a clinical event (docs/events.md): A04/A28 → PatientRegistered, A08/A31
/// → PatientUpdated, A01 → EncounterStarted, A03 → EncounterEnded, S12/S14/S15 → Appointment…, R01 → ResultsReady, V04 →
/// ImmunizationRecorded. The event and the patient's version commit with the handled message (PostgreSQL: one
/// transaction, the inbox making a redelivery change nothing), so each source message gives one event. A trigger with
/// no map publishes nothing; a department with routes (<see cref="ClinicalRoutesOptions"/>) also gets the Bundle at its
/// FHIR server (<see cref="DeliverFhirBundle"/>) and the message at its legacy system (<see cref="DeliverHl7v2Message"/>); a message the maps refuse (no patient identifier…) goes to the error queue with the
/// fields at fault, never their values.
/// </summary>
public sealed class ClinicalEventPublisher(IBus bus, Hl7v2FhirOptions maps, FhirAdapter fhir, ISubjectVersions versions, ClinicalRoutesOptions routes,
    TimeProvider time, ILogger<ClinicalEventPublisher> logger) : IHandleMessages<Hl7v2MessageAccepted>
{
    static readonly Meter Meter = new("IntegrationHub.Clinical");
    static readonly Counter<long> Events = Meter.CreateCounter<long>("hub.clinical.events", "{event}",
        "Clinical events published from HL7 v2 messages, by event and whether they were the latest about their patient");

    public async Task Handle(Hl7v2MessageAccepted message)
    {
        if (!Hl7v2ToFhir.Triggers.ContainsKey(message.MessageType))
        {
            logger.LogDebug("HL7 v2 {Type} {MessageId} has no FHIR map: no clinical event", message.MessageType, message.MessageId);
            return;
        }
        var parsed = Hl7Parser.Parse(message.Message);
        if (parsed.Message is not { } v2)
            throw new Hl7v2NotMappedException(message, "the accepted message no longer parses");
        var mapping = Hl7v2ToFhir.Map(v2, maps);
        if (!mapping.Succeeded)
            throw new Hl7v2NotMappedException(message, string.Join("; ", mapping.Issues.Where(i => i.Severity == MapIssueSeverity.Error)));

        var patient = mapping.Subject!;
        var version = (mapping.SourceTime ?? message.ReceivedAt).ToUnixTimeMilliseconds();
        var latest = await versions.Offer(message.Department, patient.Id!, version, message.MessageId, time.GetUtcNow());
        var kind = mapping.Event!.Value;
        var clinical = Event(kind, message, patient, version, latest, fhir.Serialize(mapping.Bundle!, FhirFormat.Json));
        await bus.Publish(clinical);
        // The department's routes, in the same transaction: each delivery is then followed by its own saga.
        if (routes.Of(message.Department) is { } route)
        {
            if (route.FhirServer is not null)
                await bus.SendLocal(new DeliverFhirBundle(ClinicalDelivery.IdFor(clinical.EventId, ClinicalDelivery.Fhir), message.Department, clinical.PatientId, version,
                    message.MessageType.StartsWith("ADT^", StringComparison.Ordinal), clinical.Bundle));
            if (route.Hl7v2Destination is { } destination)
                await bus.SendLocal(new DeliverHl7v2Message(ClinicalDelivery.IdFor(clinical.EventId, ClinicalDelivery.Hl7v2), message.Department, destination, message.Message));
        }
        Events.Add(1, new("event", kind.ToString()), new("latest", latest));
        if (!latest)
            logger.LogInformation("HL7 v2 {Type} {MessageId} for {Department} is older than a message already handled about the same patient: {Event} published as not latest",
                message.MessageType, message.MessageId, message.Department, kind);
    }

    static ClinicalEvent Event(ClinicalEventKind kind, Hl7v2MessageAccepted source, Hl7.Fhir.Model.Patient patient, long version, bool latest,
        string bundle) => kind switch
    {
        ClinicalEventKind.PatientRegistered => Event<PatientRegistered>(kind, source, patient, version, latest, bundle),
        ClinicalEventKind.PatientUpdated => Event<PatientUpdated>(kind, source, patient, version, latest, bundle),
        ClinicalEventKind.EncounterStarted => Event<EncounterStarted>(kind, source, patient, version, latest, bundle),
        ClinicalEventKind.EncounterEnded => Event<EncounterEnded>(kind, source, patient, version, latest, bundle),
        ClinicalEventKind.AppointmentBooked => Event<AppointmentBooked>(kind, source, patient, version, latest, bundle),
        ClinicalEventKind.AppointmentChanged => Event<AppointmentChanged>(kind, source, patient, version, latest, bundle),
        ClinicalEventKind.AppointmentCancelled => Event<AppointmentCancelled>(kind, source, patient, version, latest, bundle),
        ClinicalEventKind.ResultsReady => Event<ResultsReady>(kind, source, patient, version, latest, bundle),
        ClinicalEventKind.ImmunizationRecorded => Event<ImmunizationRecorded>(kind, source, patient, version, latest, bundle),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "an event kind with no event record"),
    };

    static T Event<T>(ClinicalEventKind kind, Hl7v2MessageAccepted source, Hl7.Fhir.Model.Patient patient, long version, bool latest, string bundle)
        where T : ClinicalEvent, new() => new()
    {
        EventId = $"{source.MessageId}:{kind}",
        Department = source.Department,
        SourceMessageId = source.MessageId,
        Sender = $"{source.SendingApplication}^{source.SendingFacility}",
        ControlId = source.ControlId,
        MessageType = source.MessageType,
        PatientId = patient.Id!,
        Identifiers = [.. patient.Identifier.Select(i => new SubjectIdentifier(i.System, i.Value ?? "", i.Type?.Coding.FirstOrDefault()?.Code))],
        Version = version,
        IsLatest = latest,
        Bundle = bundle,
        OccurredAt = source.ReceivedAt,
    };
}

/// <summary>An accepted message the maps cannot carry: to the error queue at once (a retry would not change it).</summary>
public sealed class Hl7v2NotMappedException(Hl7v2MessageAccepted message, string why)
    : Exception($"HL7 v2 {message.MessageType} {message.MessageId} of {message.Department} cannot be mapped to FHIR: {why}"), IFailFastException;
