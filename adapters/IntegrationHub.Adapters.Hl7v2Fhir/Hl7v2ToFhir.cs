using System.Globalization;
using Hl7.Fhir.Model;
using IntegrationHub.Adapters.Hl7v2;
using IntegrationHub.Adapters.Hl7v2Fhir.Internals;

namespace IntegrationHub.Adapters.Hl7v2Fhir;

/// <summary>
/// HL7 v2 → FHIR R4 after the HL7 v2-to-FHIR IG: a parsed message becomes a FHIR message Bundle (MessageHeader first,
/// then the resources), the event it stands for and what the maps dropped. Resource ids are stable for the same source
/// data, so an A08 updates the Patient an A04 created. Messages: ADT^A01/A03/A04/A08/A28/A31, ORU^R01,
/// SIU^S12/S14/S15, VXU^V04. Pure: no I/O, no clock.
/// </summary>
public static class Hl7v2ToFhir
{
    /// <summary>The triggers the maps know, with the event each one stands for.</summary>
    public static IReadOnlyDictionary<string, ClinicalEventKind> Triggers { get; } = new Dictionary<string, ClinicalEventKind>(StringComparer.Ordinal)
    {
        ["ADT^A01"] = ClinicalEventKind.EncounterStarted,
        ["ADT^A03"] = ClinicalEventKind.EncounterEnded,
        ["ADT^A04"] = ClinicalEventKind.PatientRegistered,
        ["ADT^A28"] = ClinicalEventKind.PatientRegistered,
        ["ADT^A08"] = ClinicalEventKind.PatientUpdated,
        ["ADT^A31"] = ClinicalEventKind.PatientUpdated,
        ["ORU^R01"] = ClinicalEventKind.ResultsReady,
        ["SIU^S12"] = ClinicalEventKind.AppointmentBooked,
        ["SIU^S14"] = ClinicalEventKind.AppointmentChanged,
        ["SIU^S15"] = ClinicalEventKind.AppointmentCancelled,
        ["VXU^V04"] = ClinicalEventKind.ImmunizationRecorded,
    };

    public static Hl7v2FhirMapping Map(Hl7Message message, Hl7v2FhirOptions? options = null)
    {
        options ??= Hl7v2FhirOptions.Default;
        var context = new MapContext(message, options);
        try
        {
            return Map(message, options, context);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or OverflowException or InvalidOperationException)
        {
            // A map that meets what it did not foresee refuses the message, naming nothing of its content.
            context.Fail("MSH", $"the message could not be mapped ({e.GetType().Name}); it is not changed by trying again");
            return new Hl7v2FhirMapping(null, null, null, null, context.Issues);
        }
    }

    static Hl7v2FhirMapping Map(Hl7Message message, Hl7v2FhirOptions options, MapContext context)
    {
        var msh = message.Msh;
        var trigger = $"{msh.MessageCode}^{msh.TriggerEvent}";
        if (!Triggers.TryGetValue(trigger, out var kind))
        {
            context.Fail("MSH-9", $"{trigger} has no FHIR map (maps: {string.Join(", ", Triggers.Keys)})");
            return new Hl7v2FhirMapping(null, null, null, null, context.Issues);
        }
        var header = Header(msh, context);
        Walk(message, trigger, context);
        if (context.Patient is null) context.Fail("PID", "no PID segment: the message is about nobody");

        var sourceTime = V2Time.Instant(message.First("EVN") is { } evn && evn[2].Length > 0 ? evn[2] : msh.DateTimeOfMessage, options.DefaultOffset);
        if (context.Issues.Any(i => i.Severity == MapIssueSeverity.Error))
            return new Hl7v2FhirMapping(null, kind, context.Patient, sourceTime, context.Issues);

        header.Focus.AddRange(Focus(kind, context).Select(MapContext.Reference));
        var bundle = new Bundle
        {
            Type = Bundle.BundleType.Message,
            Id = StableIds.For("Bundle", context.SenderScope, msh.SendingApplication.Value, msh.ControlId),
            Identifier = new Identifier($"urn:hl7v2:control-id:{Uri.EscapeDataString(msh.SendingApplication.Value)}^{Uri.EscapeDataString(context.SenderScope)}", msh.ControlId),
        };
        if (V2Time.ToInstant(V2Time.DateTime(msh.DateTimeOfMessage, context, "MSH-7")) is { } sent)
            bundle.TimestampElement = new Instant(sent);
        bundle.Entry.Add(Entry(header));
        bundle.Entry.AddRange(context.Resources.Select(Entry));
        return new Hl7v2FhirMapping(bundle, kind, context.Patient, sourceTime, context.Issues);
    }

    static Bundle.EntryComponent Entry(Resource resource) => new() { FullUrl = $"urn:uuid:{resource.Id}", Resource = resource };

    /// <summary>MSH → MessageHeader: the event (table 0003), the source (MSH-3/4), the destination (MSH-5/6).</summary>
    static MessageHeader Header(MshSegment msh, MapContext context)
    {
        var header = new MessageHeader
        {
            Id = StableIds.For("MessageHeader", context.SenderScope, msh.SendingApplication.Value, msh.ControlId),
            Event = new Coding(V2Types.V2CodeSystemPrefix + "0003", msh.TriggerEvent, string.Join("^", msh.MessageCode, msh.TriggerEvent, msh.MessageStructure).TrimEnd('^')),
            Source = new MessageHeader.MessageSourceComponent
            {
                Name = msh.SendingApplication.Value,
                Endpoint = Endpoint(msh.SendingApplication, msh.SendingFacility),
            },
        };
        if (msh.ReceivingApplication.Value.Length > 0 || msh.ReceivingFacility.Value.Length > 0)
        {
            var destination = new MessageHeader.MessageDestinationComponent
            {
                Name = msh.ReceivingApplication.Value.Length > 0 ? msh.ReceivingApplication.Value : null,
                Endpoint = Endpoint(msh.ReceivingApplication, msh.ReceivingFacility),
            };
            if (msh.ReceivingFacility.Value is { Length: > 0 } receiving)
                destination.Receiver = MapContext.Reference(context.Add(new Organization { Name = receiving, Identifier = [new Identifier { Value = receiving }] },
                    StableIds.For("Organization", receiving)));
            header.Destination.Add(destination);
        }
        if (msh.SendingFacility.Value is { Length: > 0 } facility)
        {
            var sender = context.Add(new Organization { Name = facility, Identifier = [new Identifier { Value = facility }] },
                StableIds.For("Organization", facility));
            header.Sender = MapContext.Reference(sender);
        }
        header.Meta = new Meta { Tag = [new Coding(V2Types.V2CodeSystemPrefix + "0103", msh.ProcessingId)] };
        Dropped.Report(msh.Segment, [3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21], context);
        return header;
    }

    /// <summary>An application as a URI: <c>urn:hl7v2:application:{MSH-3}^{MSH-4}</c> (v2 has no network address for it).</summary>
    static string Endpoint(Hl7Element application, Hl7Element facility) =>
        $"urn:hl7v2:application:{Uri.EscapeDataString(application.Value)}^{Uri.EscapeDataString(facility.Value)}";

    /// <summary>The segments in order, each handed to its map with what it belongs to (the patient, the order, the observation).</summary>
    static void Walk(Hl7Message message, string trigger, MapContext context)
    {
        Hl7Segment? orc = null, obr = null, pv2 = null;
        ServiceRequest? order = null;
        DiagnosticReport? report = null;
        Observation? observation = null;
        Appointment? appointment = null;
        Patient? patient = null;
        var appointmentStatus = trigger == "SIU^S15" ? Appointment.AppointmentStatus.Cancelled : (Appointment.AppointmentStatus?)null;

        foreach (var segment in message.Segments)
        {
            switch (segment.Name)
            {
                case "MSH" or "EVN" or "RGS" or "SFT" or "MSA":
                    break;
                case "PID" when patient is null:
                    patient = context.Patient = PatientMaps.Patient(segment, context);
                    if (appointment is not null) ClinicalMaps.AppointmentPatient(appointment, patient);
                    break;
                case "PID":
                    context.Warn("PID", "a second patient in one message is not mapped: dropped");
                    break;
                case "PD1" when patient is not null:
                    PatientMaps.PatientAdditional(segment, patient, context);
                    break;
                case "NK1" when patient is not null:
                    PatientMaps.RelatedPerson(segment, patient, context);
                    break;
                case "PV1" when patient is not null:
                    pv2 = message.Segments.Skip(segment.Index + 1).FirstOrDefault(s => s.Name is "PV2" or "PV1" or "ORC" or "OBR");
                    context.Encounter = PatientMaps.Encounter(segment, pv2?.Name == "PV2" ? pv2 : null, patient, EncounterStatus(trigger, segment), context);
                    break;
                case "PV2":
                    break;
                case "AL1" when patient is not null:
                    ClinicalMaps.Allergy(segment, patient, context);
                    break;
                case "DG1" when patient is not null:
                    ClinicalMaps.Condition(segment, patient, context);
                    break;
                case "ORC":
                    orc = segment;
                    obr = null;
                    observation = null;
                    break;
                case "OBR" when patient is not null:
                    obr = segment;
                    order = ClinicalMaps.Order(orc, obr, patient, context);
                    report = trigger == "ORU^R01" ? ClinicalMaps.Report(obr, order, patient, context) : null;
                    observation = null;
                    orc = null;
                    break;
                case "OBX" when patient is not null:
                    observation = ClinicalMaps.Observation(segment, report, obr, patient, context);
                    break;
                case "NTE":
                    if (ClinicalMaps.Note(segment, context) is not { } note) break;
                    if (observation is not null) observation.Note.Add(note);
                    else if (order is not null) order.Note.Add(note);
                    else if (appointment is not null) appointment.Comment = (appointment.Comment is null ? "" : appointment.Comment + "\n") + note.Text;
                    else context.Warn("NTE", "a note with nothing to attach it to: dropped");
                    break;
                case "SCH" when appointment is null:
                    appointment = ClinicalMaps.Appointment(segment, appointmentStatus, context);
                    if (patient is not null) ClinicalMaps.AppointmentPatient(appointment, patient);
                    break;
                case "AIL" when appointment is not null:
                    ClinicalMaps.AppointmentLocation(segment, appointment, context);
                    break;
                case "AIP" when appointment is not null:
                    ClinicalMaps.AppointmentPersonnel(segment, appointment, context);
                    break;
                case "RXA" when patient is not null:
                    var rxr = message.Segments.Skip(segment.Index + 1).TakeWhile(s => s.Name is not ("RXA" or "ORC")).FirstOrDefault(s => s.Name == "RXR");
                    ClinicalMaps.Immunization(segment, rxr, orc, patient, context);
                    break;
                case "RXR":
                    break;
                default:
                    Dropped.Segment(segment, context, segment.Name.StartsWith('Z')
                        ? "a Z-segment (local to the sender) is not mapped: dropped"
                        : "this segment is not mapped for this message: dropped");
                    break;
            }
        }
        if (appointment is not null) ClinicalMaps.CompleteTimes(appointment, context);
    }

    /// <summary>
    /// The Encounter's status: PV1-45 (discharged) or an A03 means finished; otherwise the IG's PatientClass[EncounterStatus].
    /// </summary>
    static Encounter.EncounterStatus EncounterStatus(string trigger, Hl7Segment pv1) =>
        trigger == "ADT^A03" || pv1[45].Length > 0 ? Encounter.EncounterStatus.Finished : Vocabulary.EncounterStatus(pv1[2]);

    /// <summary>What the message is about, for MessageHeader.focus and the event.</summary>
    static IEnumerable<Resource> Focus(ClinicalEventKind kind, MapContext context) => kind switch
    {
        ClinicalEventKind.PatientRegistered or ClinicalEventKind.PatientUpdated => context.Resources.OfType<Patient>(),
        ClinicalEventKind.EncounterStarted or ClinicalEventKind.EncounterEnded => context.Resources.OfType<Encounter>(),
        ClinicalEventKind.ResultsReady => context.Resources.OfType<DiagnosticReport>(),
        ClinicalEventKind.ImmunizationRecorded => context.Resources.OfType<Immunization>(),
        _ => context.Resources.OfType<Appointment>(),
    };
}
