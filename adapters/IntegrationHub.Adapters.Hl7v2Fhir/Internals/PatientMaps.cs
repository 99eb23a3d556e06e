using Hl7.Fhir.Model;
using IntegrationHub.Adapters.Hl7v2;

namespace IntegrationHub.Adapters.Hl7v2Fhir.Internals;

/// <summary>PID, PD1 → Patient; NK1 → RelatedPerson; PV1, PV2 → Encounter.</summary>
internal static class PatientMaps
{
    public static readonly int[] PidMapped = [1, 2, 3, 4, 5, 6, 7, 8, 11, 13, 14, 15, 16, 18, 19, 24, 25, 29, 30];
    public static readonly int[] Pd1Mapped = [3, 4];
    public static readonly int[] Nk1Mapped = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    public static readonly int[] Pv1Mapped = [1, 2, 3, 7, 8, 9, 10, 14, 17, 19, 36, 44, 45];
    public static readonly int[] Pv2Mapped = [3];

    const string MothersMaidenName = "http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName";

    public static Patient Patient(Hl7Segment pid, MapContext context)
    {
        var patient = new Patient();
        var key = (Identifier?)null;
        foreach (var (field, type) in new[] { (3, (string?)null), (2, null), (4, null), (18, "AN"), (19, "SS") })
            foreach (var (cx, index) in V2Types.Repetitions(pid.Field(field)))
            {
                if (field == 19)
                {
                    patient.Identifier.Add(new Identifier { Value = cx.Value, Type = V2Types.TableCode("SS", "0203") });
                    continue;
                }
                if (V2Types.Identifier(cx, context, $"PID-{field}[{index}]") is not { } identifier) continue;
                if (type is not null && identifier.Type is null) identifier.Type = V2Types.TableCode(type, "0203");
                patient.Identifier.Add(identifier);
                key ??= field == 3 ? identifier : null;
            }
        key ??= patient.Identifier.FirstOrDefault();

        foreach (var (xpn, index) in V2Types.Repetitions(pid.Field(5)))
            if (V2Types.Name(xpn, context, $"PID-5[{index}]") is { } name) patient.Name.Add(name);
        if (pid.Field(6).Component(1).Value is { Length: > 0 } maiden)
            patient.Extension.Add(new Extension(MothersMaidenName, new FhirString(maiden)));
        if (V2Time.Date(pid[7], context, "PID-7") is { } birth) patient.BirthDate = birth;
        if (pid[8] is { Length: > 0 } sex)
        {
            if (Vocabulary.Gender(sex) is { } gender) patient.Gender = gender;
            else context.Warn("PID-8", "administrative sex is not in table 0001: not kept");
        }
        foreach (var (xad, index) in V2Types.Repetitions(pid.Field(11)))
            if (V2Types.Address(xad, context, $"PID-11[{index}]") is { } address) patient.Address.Add(address);
        patient.Telecom.AddRange(Telecoms(pid, 13, 14, context));
        if (V2Types.Concept(pid.Field(15), context, "urn:ietf:bcp:47") is { } language)
            patient.Communication.Add(new Patient.CommunicationComponent { Language = language });
        if (pid[16] is { Length: > 0 } marital)
        {
            if (Vocabulary.MaritalStatus(marital) is { } coding)
                patient.MaritalStatus = new CodeableConcept { Coding = [coding], Text = pid[16, 2].Length > 0 ? pid[16, 2] : null };
            else context.Warn("PID-16", "marital status is not in table 0002: not kept");
        }
        if (pid[24] is { Length: > 0 } multiple)
            patient.MultipleBirth = int.TryParse(pid[25], out var order) && order > 0 ? new Integer(order) : new FhirBoolean(multiple == "Y");
        if (V2Time.DateTime(pid[29], context, "PID-29") is { } death) patient.Deceased = new FhirDateTime(death);
        else if (pid[30] is "Y" or "N") patient.Deceased = new FhirBoolean(pid[30] == "Y");

        if (key is null) context.Fail("PID-3", "the patient has no identifier: it cannot be matched to earlier messages");
        var id = StableIds.For("Patient", key?.System ?? context.SenderScope, key?.Value ?? Guid.NewGuid().ToString("N"));
        Dropped.Report(pid, PidMapped, context);
        return context.Add(patient, id);
    }

    /// <summary>A home and a work telecom field (PID-13/14, NK1-5/6): each repetition, its use the field's unless XTN-2 says.</summary>
    static IEnumerable<ContactPoint> Telecoms(Hl7Segment segment, int home, int work, MapContext context)
    {
        foreach (var (field, use) in new[] { (home, ContactPoint.ContactPointUse.Home), (work, ContactPoint.ContactPointUse.Work) })
            foreach (var (xtn, index) in V2Types.Repetitions(segment.Field(field)))
                if (V2Types.Telecom(xtn, context, $"{segment.Name}-{field}[{index}]") is { } telecom)
                {
                    telecom.Use ??= use;
                    yield return telecom;
                }
    }

    /// <summary>PD1-3 (primary facility) and PD1-4 (primary care provider) → Patient.generalPractitioner.</summary>
    public static void PatientAdditional(Hl7Segment pd1, Patient patient, MapContext context)
    {
        foreach (var (xon, _) in V2Types.Repetitions(pd1.Field(3)))
        {
            var name = xon.Component(1).Value;
            if (name.Length == 0) continue;
            var organization = new Organization { Name = name };
            var number = xon.Component(10).Value is { Length: > 0 } ten ? ten : xon.Component(3).Value;
            if (number.Length > 0) organization.Identifier.Add(new Identifier { Value = number });
            organization = context.Add(organization, StableIds.For("Organization", context.SenderScope, number.Length > 0 ? number : name));
            patient.GeneralPractitioner.Add(MapContext.Reference(organization));
        }
        foreach (var (xcn, index) in V2Types.Repetitions(pd1.Field(4)))
            if (V2Types.Practitioner(xcn, context, $"PD1-4[{index}]") is { } practitioner)
                patient.GeneralPractitioner.Add(MapContext.Reference(practitioner));
        Dropped.Report(pd1, Pd1Mapped, context);
    }

    public static RelatedPerson? RelatedPerson(Hl7Segment nk1, Patient patient, MapContext context)
    {
        var person = new RelatedPerson { Patient = MapContext.Reference(patient) };
        foreach (var (xpn, index) in V2Types.Repetitions(nk1.Field(2)))
            if (V2Types.Name(xpn, context, $"NK1-2[{index}]") is { } name) person.Name.Add(name);
        if (V2Types.Concept(nk1.Field(3), context, V2Types.V2CodeSystemPrefix + "0063") is { } relationship) person.Relationship.Add(relationship);
        if (V2Types.Concept(nk1.Field(7), context, V2Types.V2CodeSystemPrefix + "0131") is { } role) person.Relationship.Add(role);
        foreach (var (xad, index) in V2Types.Repetitions(nk1.Field(4)))
            if (V2Types.Address(xad, context, $"NK1-4[{index}]") is { } address) person.Address.Add(address);
        person.Telecom.AddRange(Telecoms(nk1, 5, 6, context));
        var start = V2Time.Date(nk1[8], context, "NK1-8");
        var end = V2Time.Date(nk1[9], context, "NK1-9");
        if (start is not null || end is not null) person.Period = new Period { Start = start, End = end };
        Dropped.Report(nk1, Nk1Mapped, context);
        if (person.Name.Count == 0 && person.Relationship.Count == 0) return null;
        return context.Add(person, StableIds.For("RelatedPerson", patient.Id, nk1[1], nk1[2, 1], nk1[2, 2]));
    }

    /// <summary>PV1 (+ PV2) → Encounter; <paramref name="status"/> comes from the trigger (A01 in progress, A03 finished, …).</summary>
    public static Encounter Encounter(Hl7Segment pv1, Hl7Segment? pv2, Patient patient, Encounter.EncounterStatus status, MapContext context)
    {
        var encounter = new Encounter { Status = status, Subject = MapContext.Reference(patient) };
        var patientClass = pv1[2];
        encounter.Class = Vocabulary.EncounterClass(patientClass)
            ?? new Coding(V2Types.V2CodeSystemPrefix + "0004", patientClass.Length > 0 ? patientClass : "U");
        if (patientClass.Length == 0) context.Warn("PV1-2", "no patient class: Encounter.class is 'U' (unknown) of table 0004");
        if (V2Types.Location(pv1.Field(3), context) is { } location)
            encounter.Location.Add(new Encounter.LocationComponent { Location = MapContext.Reference(location) });
        foreach (var (field, role) in new[] { (7, "ATND"), (8, "REF"), (9, "CON"), (17, "ADM") })
            foreach (var (xcn, index) in V2Types.Repetitions(pv1.Field(field)))
                if (V2Types.Practitioner(xcn, context, $"PV1-{field}[{index}]") is { } practitioner)
                    encounter.Participant.Add(new Encounter.ParticipantComponent
                    {
                        Type = [new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", role)],
                        Individual = MapContext.Reference(practitioner),
                    });
        if (V2Types.TableCode(pv1[10], "0069") is { } service) encounter.ServiceType = service;
        if (V2Types.TableCode(pv1[14], "0023") is { } source)
            (encounter.Hospitalization ??= new Encounter.HospitalizationComponent()).AdmitSource = source;
        if (V2Types.TableCode(pv1[36], "0112") is { } disposition)
            (encounter.Hospitalization ??= new Encounter.HospitalizationComponent()).DischargeDisposition = disposition;
        Identifier? visit = null;
        if (V2Types.Identifier(pv1.Field(19).Repetition(1), context, "PV1-19") is { } number)
        {
            number.Type ??= V2Types.TableCode("VN", "0203");
            encounter.Identifier.Add(number);
            visit = number;
        }
        var start = V2Time.DateTime(pv1[44], context, "PV1-44");
        var end = V2Time.DateTime(pv1[45], context, "PV1-45");
        if (start is not null || end is not null) encounter.Period = new Period { Start = start, End = end };
        if (pv2 is not null)
        {
            if (V2Types.Concept(pv2.Field(3), context) is { } reason) encounter.ReasonCode.Add(reason);
            Dropped.Report(pv2, Pv2Mapped, context);
        }
        Dropped.Report(pv1, Pv1Mapped, context);
        // The same visit is one Encounter whichever message carries it; without a visit number, the admission time.
        var id = visit is not null
            ? StableIds.For("Encounter", visit.System ?? context.SenderScope, visit.Value)
            : StableIds.For("Encounter", patient.Id, pv1[44].Length > 0 ? pv1[44] : context.Message.Msh.ControlId);
        return context.Add(encounter, id);
    }
}
