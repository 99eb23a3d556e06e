using System.Globalization;
using Hl7.Fhir.Model;
using IntegrationHub.Adapters.Hl7v2;

namespace IntegrationHub.Adapters.Hl7v2Fhir.Internals;

/// <summary>AL1, DG1, ORC/OBR, OBX, NTE, SCH/AIL/AIP, RXA/RXR → their FHIR resources.</summary>
internal static class ClinicalMaps
{
    public static readonly int[] Al1Mapped = [1, 2, 3, 4, 5, 6];
    public static readonly int[] Dg1Mapped = [1, 2, 3, 4, 5, 6];
    public static readonly int[] OrcMapped = [1, 2, 3, 5, 9, 12];
    public static readonly int[] ObrMapped = [1, 2, 3, 4, 7, 16, 22, 25];
    public static readonly int[] ObxMapped = [1, 2, 3, 4, 5, 6, 7, 8, 11, 14, 16];
    public static readonly int[] NteMapped = [1, 2, 3];
    public static readonly int[] SchMapped = [1, 2, 7, 9, 10, 11, 25];
    public static readonly int[] AilMapped = [1, 3, 6];
    public static readonly int[] AipMapped = [1, 3, 4, 6, 12];
    public static readonly int[] RxaMapped = [1, 2, 3, 5, 6, 7, 9, 10, 15, 16, 17, 18, 20, 21];
    public static readonly int[] RxrMapped = [1, 2];

    const int MaxAppointmentMinutes = 366 * 24 * 60;

    static ResourceReference? EncounterOf(MapContext context) => context.Encounter is { } e ? MapContext.Reference(e) : null;

    public static AllergyIntolerance? Allergy(Hl7Segment al1, Patient patient, MapContext context)
    {
        if (V2Types.Concept(al1.Field(3), context) is not { } code)
        {
            context.Warn("AL1-3", "no allergen: the segment is dropped");
            return null;
        }
        var allergy = new AllergyIntolerance
        {
            Patient = MapContext.Reference(patient),
            Code = code,
            ClinicalStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active"),
        };
        var (category, type) = Vocabulary.AllergyType(al1[2]);
        if (category is { } c) allergy.Category = [c];
        if (type is { } t) allergy.Type = t;
        if (al1[2].Length > 0 && category is null && type is null) context.Warn("AL1-2", "allergen type is not in table 0127: not kept");
        if (al1[4].Length > 0 && Vocabulary.AllergyCriticality(al1[4]) is { } criticality) allergy.Criticality = criticality;
        var severity = al1[4].Length > 0 ? Vocabulary.ReactionSeverity(al1[4]) : null;
        if (al1[4].Length > 0 && severity is null) context.Warn("AL1-4", "severity is not in table 0128: not kept");
        // AL1-5 is ST: each repetition a manifestation's text.
        var manifestations = V2Types.Repetitions(al1.Field(5)).Select(r => new CodeableConcept { Text = r.Repetition.Value }).ToList();
        if (manifestations.Count > 0) allergy.Reaction.Add(new AllergyIntolerance.ReactionComponent { Manifestation = manifestations, Severity = severity });
        else if (severity is not null) context.Warn("AL1-4", "a reaction severity without a reaction (AL1-5): only the criticality is kept");
        if (V2Time.DateTime(al1[6], context, "AL1-6") is { } identified) allergy.Onset = new FhirDateTime(identified);
        Dropped.Report(al1, Al1Mapped, context);
        return context.Add(allergy, StableIds.For("AllergyIntolerance", patient.Id, al1[3, 3], al1[3, 1]));
    }

    public static Condition? Condition(Hl7Segment dg1, Patient patient, MapContext context)
    {
        var code = V2Types.Concept(dg1.Field(3), context);
        if (dg1[4] is { Length: > 0 } description)
        {
            code ??= new CodeableConcept();
            code.Text = description;
        }
        if (code is null)
        {
            context.Warn("DG1-3", "no diagnosis code or description: the segment is dropped");
            return null;
        }
        var condition = new Condition
        {
            Subject = MapContext.Reference(patient),
            Encounter = EncounterOf(context),
            Code = code,
            Category = [Vocabulary.ConditionCategory()],
        };
        if (V2Time.DateTime(dg1[5], context, "DG1-5") is { } onset) condition.Onset = new FhirDateTime(onset);
        Dropped.Report(dg1, Dg1Mapped, context);
        condition = context.Add(condition, StableIds.For("Condition", patient.Id, dg1[3, 3], dg1[3, 1], dg1[5]));
        // The IG's DG1[Encounter]: the diagnosis on the visit, DG1-6 as its use (only A, admitting, has a code).
        if (context.Encounter is { } encounter)
        {
            var use = Vocabulary.DiagnosisUse(dg1[6]);
            if (dg1[6].Length > 0 && use is null) context.Warn("DG1-6", "diagnosis type has no FHIR diagnosis role: not kept");
            encounter.Diagnosis.Add(new Encounter.DiagnosisComponent { Condition = MapContext.Reference(condition), Use = use });
        }
        return condition;
    }

    /// <summary>ORC + OBR → ServiceRequest (the order): placer and filler numbers, code, requester, status.</summary>
    public static ServiceRequest Order(Hl7Segment? orc, Hl7Segment? obr, Patient patient, MapContext context)
    {
        var request = new ServiceRequest
        {
            Intent = RequestIntent.Order,
            Subject = MapContext.Reference(patient),
            Encounter = EncounterOf(context),
            Status = RequestStatus.Unknown,
        };
        var placer = OrderNumber(orc, obr, 2, context);
        var filler = OrderNumber(orc, obr, 3, context);
        if (placer is not null)
        {
            placer.Type = V2Types.TableCode("PLAC", "0203");
            request.Identifier.Add(placer);
        }
        if (filler is not null)
        {
            filler.Type = V2Types.TableCode("FILL", "0203");
            request.Identifier.Add(filler);
        }
        if (obr is not null && V2Types.Concept(obr.Field(4), context) is { } code) request.Code = code;
        if (orc is not null)
        {
            request.Status = orc[5].ToUpperInvariant() switch
            {
                "CM" => RequestStatus.Completed,
                "IP" or "SC" or "A" => RequestStatus.Active,
                "CA" or "DC" or "RP" => RequestStatus.Revoked,
                "HD" => RequestStatus.OnHold,
                "ER" => RequestStatus.EnteredInError,
                _ => orc[1] is "CA" or "OC" ? RequestStatus.Revoked : RequestStatus.Active,
            };
            if (V2Time.DateTime(orc[9], context, "ORC-9") is { } authored) request.AuthoredOn = authored;
            Dropped.Report(orc, OrcMapped, context);
        }
        var requester = orc is not null && !orc.Field(12).IsEmpty ? (orc.Field(12), "ORC-12") : obr is not null ? (obr.Field(16), "OBR-16") : default;
        if (!requester.Item1.IsEmpty && V2Types.Practitioner(requester.Item1.Repetition(1), context, requester.Item2) is { } practitioner)
            request.Requester = MapContext.Reference(practitioner);
        // The placer's number first: it is there from the order on; the filler's is added later (an S14, a result).
        var key = (placer ?? filler)?.Value ?? context.Message.Msh.ControlId + "/" + (obr?[1] ?? "1");
        return context.Add(request, StableIds.For("ServiceRequest", context.SenderScope, key));
    }

    static Identifier? OrderNumber(Hl7Segment? orc, Hl7Segment? obr, int field, MapContext context)
    {
        var fromOrc = orc is not null ? V2Types.EntityIdentifier(orc.Field(field).Repetition(1), context) : null;
        return fromOrc ?? (obr is not null ? V2Types.EntityIdentifier(obr.Field(field).Repetition(1), context) : null);
    }

    /// <summary>OBR → DiagnosticReport (the results of the order), its Observations added as they are met.</summary>
    public static DiagnosticReport Report(Hl7Segment obr, ServiceRequest order, Patient patient, MapContext context)
    {
        var code = V2Types.Concept(obr.Field(4), context);
        if (code is null) context.Fail("OBR-4", "no universal service identifier: the report has no code");
        var report = new DiagnosticReport
        {
            Subject = MapContext.Reference(patient),
            Encounter = EncounterOf(context),
            BasedOn = [MapContext.Reference(order)],
            Code = code ?? new CodeableConcept(),
            Status = Vocabulary.ReportStatus(obr[25]) ?? DiagnosticReport.DiagnosticReportStatus.Unknown,
        };
        if (obr[25].Length == 0) context.Warn("OBR-25", "no result status: the report's status is 'unknown'");
        else if (Vocabulary.ReportStatus(obr[25]) is null) context.Warn("OBR-25", "result status is not in table 0123: 'unknown'");
        if (order.Identifier.FirstOrDefault(i => i.Type?.Coding.FirstOrDefault()?.Code == "FILL") is { } filler)
            report.Identifier.Add(new Identifier { System = filler.System, Value = filler.Value, Assigner = filler.Assigner });
        if (V2Time.DateTime(obr[7], context, "OBR-7") is { } effective) report.Effective = new FhirDateTime(effective);
        if (V2Time.ToInstant(V2Time.DateTime(obr[22], context, "OBR-22")) is { } issued)
            report.IssuedElement = new Instant(issued);
        Dropped.Report(obr, ObrMapped, context);
        return context.Add(report, StableIds.For("DiagnosticReport", order.Id, obr[1]));
    }

    /// <summary>OBX → Observation, its value typed by OBX-2.</summary>
    public static Observation Observation(Hl7Segment obx, DiagnosticReport? report, Hl7Segment? obr, Patient patient, MapContext context)
    {
        var code = V2Types.Concept(obx.Field(3), context);
        if (code is null) context.Fail($"OBX[{obx.Occurrence}]-3", "no observation identifier: the observation has no code");
        var observation = new Observation
        {
            Subject = MapContext.Reference(patient),
            Encounter = EncounterOf(context),
            Code = code ?? new CodeableConcept(),
            Status = Vocabulary.ObservationStatus(obx[11]) ?? ObservationStatus.Unknown,
        };
        var at = $"OBX[{obx.Occurrence}]";
        if (Vocabulary.ObservationStatus(obx[11]) is null) context.Warn(at + "-11", "result status is not in table 0085: 'unknown'");
        observation.Value = Value(obx, context, at);
        if (ReferenceRange(obx[7]) is { } range) observation.ReferenceRange.Add(range);
        foreach (var (flag, _) in V2Types.Repetitions(obx.Field(8)))
        {
            var text = flag.Component(1).Value;
            if (Vocabulary.Interpretation(text) is { } coding) observation.Interpretation.Add(new CodeableConcept { Coding = [coding] });
            else observation.Interpretation.Add(new CodeableConcept(V2Types.V2CodeSystemPrefix + "0078", text));
        }
        var effective = V2Time.DateTime(obx[14], context, at + "-14") ?? (obr is not null ? V2Time.DateTime(obr[7], context, "OBR-7") : null);
        if (effective is not null) observation.Effective = new FhirDateTime(effective);
        foreach (var (xcn, index) in V2Types.Repetitions(obx.Field(16)))
            if (V2Types.Practitioner(xcn, context, $"{at}-16[{index}]") is { } practitioner) observation.Performer.Add(MapContext.Reference(practitioner));
        if (report is not null) observation.BasedOn.AddRange(report.BasedOn.Select(r => new ResourceReference(r.Reference)));
        Dropped.Report(obx, ObxMapped, context);
        var id = StableIds.For("Observation", report?.Id ?? context.Message.Msh.ControlId, obx[1], obx[3, 3], obx[3, 1], obx[4]);
        if (context.Resources.OfType<Observation>().Any(o => o.Id == id))
        {
            // The same set id, code and sub-id twice: a second result the key cannot tell apart — by its position.
            context.Warn(at, "another OBX with the same set id, identifier and sub-id: told apart by its position");
            id = StableIds.For("Observation", report?.Id ?? context.Message.Msh.ControlId, obx[1], obx[3, 3], obx[3, 1], obx[4], obx.Occurrence.ToString(CultureInfo.InvariantCulture));
        }
        observation = context.Add(observation, id);
        report?.Result.Add(MapContext.Reference(observation));
        return observation;
    }

    static DataType? Value(Hl7Segment obx, MapContext context, string at)
    {
        var field = obx.Field(5);
        if (field.IsEmpty) return null;
        var type = obx[2].ToUpperInvariant();
        var first = field.Repetition(1);
        switch (type)
        {
            case "NM":
                return V2Types.Quantity(first.Component(1).Value, obx.Field(6), context, at + "-5");
            case "ST" or "TX" or "FT":
                return V2Text.Lines(field, context.Message.Delimiters.Escape) is { } text ? new FhirString(text) : null;
            case "CWE" or "CE" or "CNE" or "CF":
                return V2Types.Concept(first, context);
            case "DT" or "DTM" or "TS":
                return V2Time.DateTime(first.Component(1).Value, context, at + "-5") is { } when ? new FhirDateTime(when) : null;
            case "TM":
                var tm = first.Component(1).Value;
                if (tm.Length >= 4 && tm[..4].All(char.IsAsciiDigit))
                    return new Time($"{tm[..2]}:{tm[2..4]}:{(tm.Length >= 6 ? tm[4..6] : "00")}");
                context.Warn(at + "-5", "not a valid v2 time: dropped");
                return null;
            case "SN":
                return StructuredNumeric(first, obx.Field(6), context, at);
            default:
                context.Warn(at + "-5", "value type is not mapped: the value is dropped");
                return null;
        }
    }

    /// <summary>SN: comparator ^ number ^ separator ^ number — <c>&gt;^100</c> a Quantity, <c>^10^-^20</c> a Range, <c>^1^:^128</c> a Ratio.</summary>
    static DataType? StructuredNumeric(Hl7Element sn, Hl7Element units, MapContext context, string at)
    {
        var comparator = sn.Component(1).Value;
        var low = sn.Component(2).Value;
        var separator = sn.Component(3).Value;
        var high = sn.Component(4).Value;
        if (separator.Length == 0)
        {
            var quantity = V2Types.Quantity(low, units, context, at + "-5.2");
            if (quantity is not null && comparator.Length > 0)
            {
                quantity.Comparator = comparator switch
                {
                    "<" => Quantity.QuantityComparator.LessThan,
                    "<=" => Quantity.QuantityComparator.LessOrEqual,
                    ">" => Quantity.QuantityComparator.GreaterThan,
                    ">=" => Quantity.QuantityComparator.GreaterOrEqual,
                    _ => null,
                };
                if (quantity.Comparator is null) context.Warn(at + "-5.1", "comparator has no FHIR comparator: dropped");
            }
            return quantity;
        }
        var first = V2Types.Quantity(low, units, context, at + "-5.2");
        var second = V2Types.Quantity(high, units, context, at + "-5.4");
        switch (separator)
        {
            case "-":
                return new Hl7.Fhir.Model.Range { Low = first, High = second };
            case ":" or "/":
                return new Ratio { Numerator = first, Denominator = second };
            default:
                context.Warn(at + "-5.3", "separator is not mapped: the value is dropped");
                return null;
        }
    }

    /// <summary>OBX-7 as the sender wrote it (text), with low/high when it reads as <c>a-b</c>, <c>&lt;b</c> or <c>&gt;a</c>.</summary>
    static Observation.ReferenceRangeComponent? ReferenceRange(string text)
    {
        if (text.Length == 0) return null;
        var range = new Observation.ReferenceRangeComponent { Text = text };
        static Quantity? Number(string s) =>
            decimal.TryParse(s.Trim(), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var v)
                ? new Quantity { Value = v } : null;
        var dash = text.IndexOf('-', 1);
        if (text.StartsWith('<')) range.High = Number(text.TrimStart('<', '='));
        else if (text.StartsWith('>')) range.Low = Number(text.TrimStart('>', '='));
        else if (dash > 0)
        {
            range.Low = Number(text[..dash]);
            range.High = Number(text[(dash + 1)..]);
        }
        return range;
    }

    /// <summary>NTE → Annotation (NTE-3, every repetition a line).</summary>
    public static Annotation? Note(Hl7Segment nte, MapContext context)
    {
        Dropped.Report(nte, NteMapped, context);
        return V2Text.Lines(nte.Field(3), context.Message.Delimiters.Escape) is { } text ? new Annotation { TextElement = new Markdown(text) } : null;
    }

    /// <summary>SCH → Appointment; AIL and AIP add participants (a location, practitioners).</summary>
    public static Appointment Appointment(Hl7Segment sch, Appointment.AppointmentStatus? triggerStatus, MapContext context)
    {
        var appointment = new Appointment();
        foreach (var (field, type) in new[] { (1, "PLAC"), (2, "FILL") })
            if (V2Types.EntityIdentifier(sch.Field(field).Repetition(1), context) is { } identifier)
            {
                identifier.Type = V2Types.TableCode(type, "0203");
                appointment.Identifier.Add(identifier);
            }
        if (V2Types.Concept(sch.Field(7), context) is { } reason) appointment.ReasonCode.Add(reason);
        var status = sch.Field(25).Component(1).Value;
        appointment.Status = triggerStatus ?? Vocabulary.AppointmentStatus(status) ?? Hl7.Fhir.Model.Appointment.AppointmentStatus.Booked;
        if (triggerStatus is null && status.Length > 0 && Vocabulary.AppointmentStatus(status) is null)
            context.Warn("SCH-25", "filler status is not in table 0278: the appointment is 'booked'");
        var timing = sch.Field(11).Repetition(1);
        appointment.Start = Instant(V2Time.DateTime(timing.Component(4).Value, context, "SCH-11.4"));
        appointment.End = Instant(V2Time.DateTime(timing.Component(5).Value, context, "SCH-11.5"));
        if (int.TryParse(sch[9], NumberStyles.None, CultureInfo.InvariantCulture, out var duration) && sch[10, 1] is "" or "MIN" or "min")
        {
            if (duration is > 0 and <= MaxAppointmentMinutes) appointment.MinutesDuration = duration;
            else context.Warn("SCH-9", $"a duration of more than {MaxAppointmentMinutes} minutes (or none) is not kept");
        }
        Dropped.Report(sch, SchMapped, context);
        var key = appointment.Identifier.FirstOrDefault()?.Value ?? context.Message.Msh.ControlId;
        return context.Add(appointment, StableIds.For("Appointment", context.SenderScope, key));
    }

    /// <summary>The patient (PID after SCH in an SIU) as the appointment's first participant.</summary>
    public static void AppointmentPatient(Appointment appointment, Patient patient) =>
        appointment.Participant.Insert(0, new Appointment.ParticipantComponent
        {
            Actor = MapContext.Reference(patient),
            Status = ParticipationStatus.Accepted,
        });

    static DateTimeOffset? Instant(string? fhir) => V2Time.ToInstant(fhir);

    public static void AppointmentLocation(Hl7Segment ail, Appointment appointment, MapContext context)
    {
        // AIL-12 has no map in the IG; FHIR needs a participant status: accepted.
        if (V2Types.Location(ail.Field(3).Repetition(1), context) is { } location)
            appointment.Participant.Add(new Appointment.ParticipantComponent
            {
                Actor = MapContext.Reference(location),
                Status = ParticipationStatus.Accepted,
                Period = V2Time.DateTime(ail[6], context, "AIL-6") is { } from ? new Period { Start = from } : null,
            });
        appointment.Start ??= Instant(V2Time.DateTime(ail[6], context, "AIL-6"));
        Dropped.Report(ail, AilMapped, context);
    }

    public static void AppointmentPersonnel(Hl7Segment aip, Appointment appointment, MapContext context)
    {
        if (V2Types.Practitioner(aip.Field(3).Repetition(1), context, "AIP-3") is { } practitioner)
        {
            var participant = new Appointment.ParticipantComponent
            {
                Actor = MapContext.Reference(practitioner),
                Status = ParticipantStatus(aip[12]),
                Period = V2Time.DateTime(aip[6], context, "AIP-6") is { } from ? new Period { Start = from } : null,
            };
            if (V2Types.Concept(aip.Field(4), context, "http://terminology.hl7.org/CodeSystem/v3-ParticipationType") is { } role) participant.Type.Add(role);
            appointment.Participant.Add(participant);
        }
        appointment.Start ??= Instant(V2Time.DateTime(aip[6], context, "AIP-6"));
        Dropped.Report(aip, AipMapped, context);
    }

    static ParticipationStatus ParticipantStatus(string fillerStatus) => fillerStatus.ToUpperInvariant() switch
    {
        "CANCELLED" or "DELETED" or "DC" => ParticipationStatus.Declined,
        "PENDING" or "WAITLIST" or "REQUESTED" => ParticipationStatus.Tentative,
        _ => ParticipationStatus.Accepted,
    };

    /// <summary>FHIR's app-2 and app-3: start and end both or neither, and only proposed or cancelled ones may have neither.</summary>
    public static void CompleteTimes(Appointment appointment, MapContext context)
    {
        if (appointment.Start is { } start && appointment.End is null && appointment.MinutesDuration is { } minutes)
            appointment.End = start.AddMinutes(minutes);
        if ((appointment.Start is null) != (appointment.End is null))
        {
            context.Warn("SCH-11", "a start without an end (or an end without a start) and no duration: the times are not kept");
            appointment.Start = null;
            appointment.End = null;
        }
        if (appointment.Start is null && appointment.Status is not (Hl7.Fhir.Model.Appointment.AppointmentStatus.Proposed or Hl7.Fhir.Model.Appointment.AppointmentStatus.Cancelled or Hl7.Fhir.Model.Appointment.AppointmentStatus.Waitlist))
            context.Warn("SCH-11", "the appointment has no time: FHIR allows that only for proposed or cancelled appointments");
    }

    /// <summary>RXA (+ RXR, ORC) → Immunization.</summary>
    public static Immunization? Immunization(Hl7Segment rxa, Hl7Segment? rxr, Hl7Segment? orc, Patient patient, MapContext context)
    {
        var vaccine = V2Types.Concept(rxa.Field(5), context, "http://hl7.org/fhir/sid/cvx");
        if (vaccine is null)
        {
            context.Fail("RXA-5", "no administered code: the immunization has no vaccine");
            return null;
        }
        var status = Vocabulary.ImmunizationStatus(rxa[20], rxa[21]);
        if (status is null) context.Warn("RXA-20", "completion status is not in table 0322: 'completed'");
        var immunization = new Immunization
        {
            Patient = MapContext.Reference(patient),
            Encounter = EncounterOf(context),
            VaccineCode = vaccine,
            Status = status ?? Hl7.Fhir.Model.Immunization.ImmunizationStatusCodes.Completed,
        };
        if (V2Time.DateTime(rxa[3], context, "RXA-3") is { } when) immunization.Occurrence = new FhirDateTime(when);
        else context.Fail("RXA-3", "no administration date/time: FHIR needs one");
        if (V2Types.Quantity(rxa[6], rxa.Field(7), context, "RXA-6") is { } dose && rxa[6] != "999")
            immunization.DoseQuantity = new Quantity { Value = dose.Value, Unit = dose.Unit, Code = dose.Code, System = dose.System };
        var source = rxa.Field(9).Repetition(1).Component(1).Value;
        if (source.Length > 0)
        {
            immunization.PrimarySource = source == "00";
            if (source != "00") immunization.ReportOrigin = V2Types.Concept(rxa.Field(9).Repetition(1), context);
        }
        foreach (var (xcn, index) in V2Types.Repetitions(rxa.Field(10)))
            if (V2Types.Practitioner(xcn, context, $"RXA-10[{index}]") is { } practitioner)
                immunization.Performer.Add(new Immunization.PerformerComponent
                {
                    Function = new CodeableConcept(V2Types.V2CodeSystemPrefix + "0443", "AP", "Administering Provider"),
                    Actor = MapContext.Reference(practitioner),
                });
        if (rxa[15] is { Length: > 0 } lot) immunization.LotNumber = lot;
        if (V2Time.Date(rxa[16], context, "RXA-16") is { } expires) immunization.ExpirationDate = expires;
        if (V2Types.Concept(rxa.Field(17), context, "http://hl7.org/fhir/sid/mvx") is { } manufacturer)
        {
            var organization = new Organization { Name = manufacturer.Coding.FirstOrDefault()?.Display ?? manufacturer.Text };
            if (manufacturer.Coding.FirstOrDefault() is { } mvx) organization.Identifier.Add(new Identifier { System = mvx.System, Value = mvx.Code });
            immunization.Manufacturer = MapContext.Reference(context.Add(organization, StableIds.For("Organization", "MVX", rxa[17, 1])));
        }
        if (immunization.Status == Hl7.Fhir.Model.Immunization.ImmunizationStatusCodes.NotDone && V2Types.Concept(rxa.Field(18), context) is { } refusal)
            immunization.StatusReason = refusal;
        if (rxr is not null)
        {
            if (V2Types.Concept(rxr.Field(1), context, V2Types.V2CodeSystemPrefix + "0162") is { } route) immunization.Route = route;
            if (V2Types.Concept(rxr.Field(2), context, V2Types.V2CodeSystemPrefix + "0163") is { } site) immunization.Site = site;
            Dropped.Report(rxr, RxrMapped, context);
        }
        if (orc is not null && V2Types.EntityIdentifier(orc.Field(3).Repetition(1), context) is { } filler)
        {
            filler.Type = V2Types.TableCode("FILL", "0203");
            immunization.Identifier.Add(filler);
        }
        Dropped.Report(rxa, RxaMapped, context);
        var key = immunization.Identifier.FirstOrDefault()?.Value;
        return context.Add(immunization, key is not null
            ? StableIds.For("Immunization", context.SenderScope, key)
            : StableIds.For("Immunization", patient.Id, rxa[3], rxa[5, 3], rxa[5, 1]));
    }
}
