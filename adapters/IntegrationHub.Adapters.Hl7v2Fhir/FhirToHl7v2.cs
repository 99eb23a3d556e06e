using System.Globalization;
using System.Text;
using Hl7.Fhir.Model;
using IntegrationHub.Adapters.Hl7v2;
using IntegrationHub.Adapters.Hl7v2Fhir.Internals;

namespace IntegrationHub.Adapters.Hl7v2Fhir;

/// <summary>What FHIR → v2 needs beyond the Bundle: who sends, and the message's identity when the Bundle has none.</summary>
public sealed record FhirToHl7v2Options
{
    /// <summary>ADT^A04, ADT^A08 or ORU^R01; null: the MessageHeader's event, else ORU^R01 for a DiagnosticReport, else ADT^A04.</summary>
    public string? MessageType { get; init; }
    /// <summary>MSH-3/MSH-4 when the Bundle's MessageHeader names no source.</summary>
    public string SendingApplication { get; init; } = "HUB";
    public string SendingFacility { get; init; } = "HUB";
    /// <summary>MSH-10 when the Bundle has no identifier.</summary>
    public string? ControlId { get; init; }
    /// <summary>MSH-7 when the Bundle has no timestamp.</summary>
    public DateTimeOffset Now { get; init; } = DateTimeOffset.UtcNow;
    /// <summary>The same systems the way in uses, read backwards (a system → its v2 authority or coding-system name).</summary>
    public Hl7v2FhirOptions Maps { get; init; } = Hl7v2FhirOptions.Default;
}

/// <param name="Message">The v2 message (ER7, CR after each segment), null when the Bundle cannot make one.</param>
public sealed record FhirToHl7v2Result(string? Message, IReadOnlyList<MapIssue> Issues)
{
    public bool Succeeded => Message is not null;
}

/// <summary>
/// FHIR R4 → HL7 v2.5.1 for ADT^A04, ADT^A08 (a Patient, its Encounter) and ORU^R01 (+ a DiagnosticReport, its order and
/// Observations), so FHIR data can feed legacy systems (delivered with <c>DeliverHl7v2Message</c>). It writes the fields
/// <see cref="Hl7v2ToFhir"/> reads, the same way back: a v2 message mapped to FHIR, written back to v2 and mapped again
/// gives the same Bundle. Values are escaped for the standard delimiters; a non-ASCII value declares UTF-8 in MSH-18.
/// </summary>
public static class FhirToHl7v2
{
    static readonly Hl7Delimiters D = Hl7Delimiters.Standard;
    public static IReadOnlyList<string> MessageTypes { get; } = ["ADT^A04", "ADT^A08", "ORU^R01"];

    public static FhirToHl7v2Result Write(Bundle bundle, FhirToHl7v2Options? options = null)
    {
        options ??= new FhirToHl7v2Options();
        var issues = new List<MapIssue>();
        var resources = new Dictionary<string, Resource>(StringComparer.Ordinal);
        foreach (var entry in bundle.Entry)
            if (entry.Resource is { } resource)
            {
                // By full URL (urn:uuid: in a message Bundle) and by Type/id (what a server's Bundle refers to).
                if (entry.FullUrl is { } fullUrl) resources.TryAdd(fullUrl, resource);
                if (resource.Id is { } id) resources.TryAdd($"{resource.TypeName}/{id}", resource);
            }
        T? Resolve<T>(ResourceReference? reference) where T : Resource =>
            reference?.Reference is { } r && (resources.TryGetValue(r, out var found) || resources.TryGetValue(string.Join('/', r.Split('/').TakeLast(2)), out found))
                ? found as T : null;

        var all = resources.Values.Distinct().ToList();
        var header = all.OfType<MessageHeader>().FirstOrDefault();
        var report = all.OfType<DiagnosticReport>().FirstOrDefault();
        var type = options.MessageType ?? (header?.Event is Coding { Code: "A08" or "A31" } ? "ADT^A08"
            : header?.Event is Coding { Code: "R01" } || report is not null ? "ORU^R01" : "ADT^A04");
        if (!MessageTypes.Contains(type))
            return Fail(issues, "MessageType", $"{type} cannot be written from FHIR (can: {string.Join(", ", MessageTypes)})");
        var patient = all.OfType<Patient>().FirstOrDefault();
        if (patient is null) return Fail(issues, "Patient", "the Bundle holds no Patient");
        if (!patient.Identifier.Any(i => !string.IsNullOrEmpty(i.Value))) return Fail(issues, "Patient.identifier", "the Patient has no identifier: PID-3 is required");
        if (type == "ORU^R01" && report is null) return Fail(issues, "DiagnosticReport", "an ORU^R01 needs a DiagnosticReport");

        var segments = new List<string>();
        var (trigger, structure) = type switch { "ADT^A04" => ("A04", "ADT_A01"), "ADT^A08" => ("A08", "ADT_A01"), _ => ("R01", "ORU_R01") };
        var source = header?.Source;
        var sender = Resolve<Organization>(header?.Sender)?.Name;
        var destination = header?.Destination.FirstOrDefault();
        var receiver = Resolve<Organization>(destination?.Receiver)?.Name;
        var sent = bundle.Timestamp ?? options.Now;
        var controlId = bundle.Identifier?.Value ?? options.ControlId ?? Guid.NewGuid().ToString("N")[..20];
        var when = sent.ToString("yyyyMMddHHmmsszzz", CultureInfo.InvariantCulture).Replace(":", "", StringComparison.Ordinal);
        var processing = header?.Meta?.Tag.FirstOrDefault(t => t.System == V2Types.V2CodeSystemPrefix + "0103")?.Code ?? "P";
        segments.Add(Seg("MSH", E(source?.Name ?? options.SendingApplication), E(sender ?? options.SendingFacility), E(destination?.Name ?? ""), E(receiver ?? ""),
            when, "", $"{type}^{structure}", E(controlId), E(processing), "2.5.1"));
        if (type != "ORU^R01") segments.Add(Seg("EVN", trigger, when));
        segments.Add(Pid(patient, options.Maps));
        if (type != "ORU^R01")
            segments.AddRange(all.OfType<RelatedPerson>().Select((person, i) => Nk1(i + 1, person, options.Maps)));
        var encounter = all.OfType<Encounter>().FirstOrDefault();
        if (encounter is not null) segments.AddRange(Pv1(encounter, Resolve<Location>, Resolve<Practitioner>, options.Maps));
        else if (type != "ORU^R01") segments.Add(Seg("PV1", "1", "N"));

        if (report is not null && type == "ORU^R01")
        {
            var order = report.BasedOn.Select(Resolve<ServiceRequest>).FirstOrDefault(o => o is not null);
            segments.AddRange(Order(order, report, Resolve<Practitioner>, options.Maps));
            var set = 0;
            foreach (var observation in report.Result.Select(Resolve<Observation>).OfType<Observation>())
            {
                segments.Add(Obx(++set, observation, Resolve<Practitioner>, options.Maps, issues));
                segments.AddRange(observation.Note.Select((n, i) => Seg("NTE", (i + 1).ToString(CultureInfo.InvariantCulture), "", Ft(n.Text))));
            }
        }
        foreach (var kind in all.Select(r => r.TypeName).Distinct())
            if (kind is "AllergyIntolerance" or "Condition" or "Appointment" or "Immunization")
                issues.Add(new MapIssue(MapIssueSeverity.Warning, kind, $"{type} is written without the Bundle's {kind} resources"));
        var text = string.Concat(segments.Select(s => s + "\r"));
        if (!text.All(char.IsAscii))
            text = text.Insert(text.IndexOf('\r'), "||||||UNICODE UTF-8");
        return new FhirToHl7v2Result(text, issues);
    }

    static FhirToHl7v2Result Fail(List<MapIssue> issues, string location, string text)
    {
        issues.Add(new MapIssue(MapIssueSeverity.Error, location, text));
        return new FhirToHl7v2Result(null, issues);
    }

    static string Seg(string name, params string[] fields) => Hl7Writer.Segment(D, name, fields);

    static string E(string? value) => string.IsNullOrEmpty(value) ? "" : Hl7Writer.Escape(value, D);

    static string Join(char separator, params string?[] parts) => string.Join(separator, parts.Select(p => p ?? "")).TrimEnd(separator);

    static string Reps(IEnumerable<string> repetitions) => string.Join(D.Repetition, repetitions.Where(r => r.Length > 0));

    /// <summary>Formatted text: lines joined by the <c>\.br\</c> formatting escape, each line escaped.</summary>
    static string Ft(string? text) =>
        text is null ? "" : string.Join($"{D.Escape}.br{D.Escape}", text.Split('\n').Select(E));

    static string Time(string? fhir) => V2Time.ToV2(fhir);

    /// <summary>The v2 authority (HD) of an Identifier: namespace, and the universal id and its type when the system is one.</summary>
    static string Authority(Identifier identifier, Hl7v2FhirOptions maps, char separator)
    {
        var system = identifier.System;
        var name = identifier.Assigner?.Display;
        foreach (var (authority, uri) in maps.IdentifierSystems)
            if (uri == system) return E(authority);
        if (system is null) return E(name);
        if (system.StartsWith(V2Types.UnknownAuthorityPrefix, StringComparison.Ordinal))
            return E(Uri.UnescapeDataString(system[V2Types.UnknownAuthorityPrefix.Length..]));
        return system.StartsWith("urn:oid:", StringComparison.Ordinal)
            ? Join(separator, E(name), E(system["urn:oid:".Length..]), "ISO")
            : Join(separator, E(name), E(system), "URI");
    }

    static string Cx(Identifier identifier, Hl7v2FhirOptions maps) =>
        Join(D.Component, E(identifier.Value), "", "", Authority(identifier, maps, D.SubComponent), E(identifier.Type?.Coding.FirstOrDefault()?.Code),
            "", Time(identifier.Period?.Start), Time(identifier.Period?.End));

    static string Ei(Identifier? identifier, Hl7v2FhirOptions maps) =>
        identifier is null ? "" : Join(D.Component, E(identifier.Value), Authority(identifier, maps, D.Component));

    static string Cwe(CodeableConcept? concept, Hl7v2FhirOptions maps)
    {
        if (concept is null) return "";
        var first = concept.Coding.ElementAtOrDefault(0);
        var second = concept.Coding.ElementAtOrDefault(1);
        if (first is null) return concept.Text is { } text ? D.Component + E(text) : "";
        var parts = new[] { E(first.Code), E(first.Display), E(V2Types.CodeSystemName(first.System, maps)),
            E(second?.Code), E(second?.Display), E(V2Types.CodeSystemName(second?.System, maps)), "", "", E(concept.Text) };
        return Join(D.Component, parts);
    }

    static string Xpn(HumanName name) =>
        Join(D.Component, E(name.Family), E(name.Given.ElementAtOrDefault(0)), E(name.Given.ElementAtOrDefault(1)), E(name.Suffix.ElementAtOrDefault(0)),
            E(name.Prefix.FirstOrDefault()), E(name.Suffix.ElementAtOrDefault(1)), name.Use switch
            {
                HumanName.NameUse.Official => "L",
                HumanName.NameUse.Usual => "D",
                HumanName.NameUse.Maiden => "M",
                HumanName.NameUse.Nickname => "N",
                HumanName.NameUse.Anonymous => "MSK",
                HumanName.NameUse.Old => "BAD",
                HumanName.NameUse.Temp => "TEMP",
                _ => "",
            });

    static string Xad(Address address) =>
        Join(D.Component, E(address.Line.ElementAtOrDefault(0)), E(address.Line.ElementAtOrDefault(1)), E(address.City), E(address.State),
            E(address.PostalCode), E(address.Country), (address.Use, address.Type) switch
            {
                (Address.AddressUse.Home, _) => "H",
                (Address.AddressUse.Work, _) => "B",
                (Address.AddressUse.Temp, _) => "C",
                (Address.AddressUse.Billing, _) => "BI",
                (Address.AddressUse.Old, _) => "BA",
                (_, Address.AddressType.Postal) => "M",
                _ => "",
            }, "", E(address.District));

    static string Xtn(ContactPoint point, ContactPoint.ContactPointUse? fieldUse)
    {
        var use = point.Use == fieldUse && point.Use != ContactPoint.ContactPointUse.Mobile ? "" : point.Use switch
        {
            ContactPoint.ContactPointUse.Home => "PRN",
            ContactPoint.ContactPointUse.Work => "WPN",
            ContactPoint.ContactPointUse.Mobile => "PRS",
            _ => "",
        };
        if (point.System == ContactPoint.ContactPointSystem.Email)
            return Join(D.Component, "", use, "Internet", E(point.Value));
        var equipment = point.Use == ContactPoint.ContactPointUse.Mobile ? "CP" : point.System switch
        {
            ContactPoint.ContactPointSystem.Fax => "FX",
            ContactPoint.ContactPointSystem.Pager => "BP",
            ContactPoint.ContactPointSystem.Other => "MD",
            _ => "PH",
        };
        return Join(D.Component, "", use, equipment, "", "", "", "", "", "", "", "", E(point.Value));
    }

    static string Xcn(Practitioner? practitioner, Hl7v2FhirOptions maps)
    {
        if (practitioner is null) return "";
        var identifier = practitioner.Identifier.FirstOrDefault();
        var name = practitioner.Name.FirstOrDefault();
        return Join(D.Component, E(identifier?.Value), E(name?.Family), E(name?.Given.ElementAtOrDefault(0)), E(name?.Given.ElementAtOrDefault(1)),
            E(name?.Suffix.FirstOrDefault()), E(name?.Prefix.FirstOrDefault()), "", "", identifier is null ? "" : Authority(identifier, maps, D.SubComponent));
    }

    static string Pid(Patient patient, Hl7v2FhirOptions maps)
    {
        var f = new string[30];
        Array.Fill(f, "");
        f[0] = "1";
        var listed = patient.Identifier.Where(i => i.Type?.Coding.FirstOrDefault()?.Code is not ("AN" or "SS") && !string.IsNullOrEmpty(i.Value)).ToList();
        // PID-3 is required: with only an account or social security number, that one stands there too.
        f[2] = Reps((listed.Count > 0 ? listed : patient.Identifier.Where(i => !string.IsNullOrEmpty(i.Value))).Select(i => Cx(i, maps)));
        f[3] = "";
        f[4] = Reps(patient.Name.Select(Xpn));
        f[5] = patient.Extension.FirstOrDefault(e => e.Url == "http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName")?.Value is FhirString maiden ? E(maiden.Value) : "";
        f[6] = Time(patient.BirthDate);
        f[7] = Vocabulary.GenderToV2(patient.Gender);
        f[10] = Reps(patient.Address.Select(Xad));
        f[12] = Reps(patient.Telecom.Where(t => t.Use != ContactPoint.ContactPointUse.Work).Select(t => Xtn(t, ContactPoint.ContactPointUse.Home)));
        f[13] = Reps(patient.Telecom.Where(t => t.Use == ContactPoint.ContactPointUse.Work).Select(t => Xtn(t, ContactPoint.ContactPointUse.Work)));
        f[14] = Cwe(patient.Communication.FirstOrDefault()?.Language, maps);
        f[15] = patient.MaritalStatus?.Coding.FirstOrDefault() is { } marital ? Vocabulary.MaritalStatusToV2(marital) : "";
        f[17] = patient.Identifier.FirstOrDefault(i => i.Type?.Coding.FirstOrDefault()?.Code == "AN") is { } account ? Cx(account, maps) : "";
        f[18] = patient.Identifier.FirstOrDefault(i => i.Type?.Coding.FirstOrDefault()?.Code == "SS")?.Value is { } ssn ? E(ssn) : "";
        switch (patient.MultipleBirth)
        {
            case Integer order: f[23] = "Y"; f[24] = order.Value?.ToString(CultureInfo.InvariantCulture) ?? ""; break;
            case FhirBoolean multiple: f[23] = multiple.Value == true ? "Y" : "N"; break;
        }
        switch (patient.Deceased)
        {
            case FhirDateTime died: f[28] = Time(died.Value); break;
            case FhirBoolean deceased: f[29] = deceased.Value == true ? "Y" : "N"; break;
        }
        return Seg("PID", f);
    }

    /// <summary>RelatedPerson → NK1: name, relationship (and contact role), address, phones, period.</summary>
    static string Nk1(int set, RelatedPerson person, Hl7v2FhirOptions maps) => Seg("NK1",
        set.ToString(CultureInfo.InvariantCulture),
        Reps(person.Name.Select(Xpn)),
        Cwe(person.Relationship.FirstOrDefault(r => r.Coding.FirstOrDefault()?.System != V2Types.V2CodeSystemPrefix + "0131"), maps),
        Reps(person.Address.Select(Xad)),
        Reps(person.Telecom.Where(t => t.Use != ContactPoint.ContactPointUse.Work).Select(t => Xtn(t, ContactPoint.ContactPointUse.Home))),
        Reps(person.Telecom.Where(t => t.Use == ContactPoint.ContactPointUse.Work).Select(t => Xtn(t, ContactPoint.ContactPointUse.Work))),
        Cwe(person.Relationship.FirstOrDefault(r => r.Coding.FirstOrDefault()?.System == V2Types.V2CodeSystemPrefix + "0131"), maps),
        Time(person.Period?.Start), Time(person.Period?.End));

    static IEnumerable<string> Pv1(Encounter encounter, Func<ResourceReference?, Location?> location, Func<ResourceReference?, Practitioner?> practitioner,
        Hl7v2FhirOptions maps)
    {
        var f = new string[45];
        Array.Fill(f, "");
        f[0] = "1";
        f[1] = encounter.Class?.System == V2Types.V2CodeSystemPrefix + "0004" ? E(encounter.Class.Code) : Vocabulary.EncounterClassToV2(encounter.Class?.Code);
        if (location(encounter.Location.FirstOrDefault()?.Location) is { } place)
        {
            var parts = (place.Identifier.FirstOrDefault()?.Value ?? "").Split('^');
            f[2] = Join(D.Component, E(parts.ElementAtOrDefault(0)), E(parts.ElementAtOrDefault(1)), E(parts.ElementAtOrDefault(2)),
                E(place.Identifier.FirstOrDefault()?.Assigner?.Display));
        }
        string Role(string code) => Reps(encounter.Participant
            .Where(p => p.Type.Any(t => t.Coding.Any(c => c.Code == code)))
            .Select(p => Xcn(practitioner(p.Individual), maps)));
        f[6] = Role("ATND");
        f[7] = Role("REF");
        f[8] = Role("CON");
        f[16] = Role("ADM");
        f[9] = E(encounter.ServiceType?.Coding.FirstOrDefault()?.Code);
        f[13] = E(encounter.Hospitalization?.AdmitSource?.Coding.FirstOrDefault()?.Code);
        f[35] = E(encounter.Hospitalization?.DischargeDisposition?.Coding.FirstOrDefault()?.Code);
        f[18] = encounter.Identifier.FirstOrDefault() is { } visit ? Cx(visit, maps) : "";
        f[43] = Time(encounter.Period?.Start);
        f[44] = Time(encounter.Period?.End);
        yield return Seg("PV1", f);
        if (encounter.ReasonCode.FirstOrDefault() is { } reason)
            yield return Seg("PV2", "", "", Cwe(reason, maps));
    }

    static IEnumerable<string> Order(ServiceRequest? order, DiagnosticReport report, Func<ResourceReference?, Practitioner?> practitioner, Hl7v2FhirOptions maps)
    {
        Identifier? Typed(string type) => order?.Identifier.FirstOrDefault(i => i.Type?.Coding.FirstOrDefault()?.Code == type);
        var placer = Ei(Typed("PLAC"), maps);
        var filler = Ei(Typed("FILL") ?? report.Identifier.FirstOrDefault(), maps);
        var status = order?.Status switch
        {
            RequestStatus.Completed => "CM",
            RequestStatus.Active => "IP",
            RequestStatus.Revoked => "CA",
            RequestStatus.OnHold => "HD",
            RequestStatus.EnteredInError => "ER",
            _ => "",
        };
        var orc = new string[12];
        Array.Fill(orc, "");
        (orc[0], orc[1], orc[2], orc[4], orc[8]) = ("RE", placer, filler, status, Time(order?.AuthoredOn));
        orc[11] = Xcn(practitioner(order?.Requester), maps);
        yield return Seg("ORC", orc);
        var obr = new string[25];
        Array.Fill(obr, "");
        (obr[0], obr[1], obr[2], obr[3]) = ("1", placer, filler, Cwe(report.Code ?? order?.Code, maps));
        obr[6] = report.Effective is FhirDateTime effective ? Time(effective.Value) : "";
        obr[21] = report.Issued is { } issued ? issued.ToString("yyyyMMddHHmmsszzz", CultureInfo.InvariantCulture).Replace(":", "", StringComparison.Ordinal) : "";
        obr[24] = Vocabulary.ReportStatusToV2(report.Status);
        yield return Seg("OBR", obr);
        foreach (var note in order?.Note ?? [])
            yield return Seg("NTE", "1", "", Ft(note.Text));
    }

    static string Obx(int set, Observation observation, Func<ResourceReference?, Practitioner?> practitioner, Hl7v2FhirOptions maps, List<MapIssue> issues)
    {
        var f = new string[16];
        Array.Fill(f, "");
        f[0] = set.ToString(CultureInfo.InvariantCulture);
        string Units(Quantity q) => q.Code is not null && q.System is not null
            ? Join(D.Component, E(q.Code), E(q.Unit == q.Code ? null : q.Unit), E(V2Types.CodeSystemName(q.System, maps)))
            : E(q.Unit);
        static string Number(decimal? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "";
        switch (observation.Value)
        {
            case Quantity { Comparator: null } q:
                (f[1], f[4], f[5]) = ("NM", Number(q.Value), Units(q));
                break;
            case Quantity q:
                var comparator = q.Comparator switch
                {
                    Quantity.QuantityComparator.LessThan => "<",
                    Quantity.QuantityComparator.LessOrEqual => "<=",
                    Quantity.QuantityComparator.GreaterThan => ">",
                    _ => ">=",
                };
                (f[1], f[4], f[5]) = ("SN", Join(D.Component, E(comparator), Number(q.Value)), Units(q));
                break;
            case Hl7.Fhir.Model.Range r:
                (f[1], f[4], f[5]) = ("SN", Join(D.Component, "", Number(r.Low?.Value), "-", Number(r.High?.Value)), r.Low is { } low ? Units(low) : "");
                break;
            case Ratio r:
                (f[1], f[4], f[5]) = ("SN", Join(D.Component, "", Number(r.Numerator?.Value), ":", Number(r.Denominator?.Value)),
                    r.Numerator is { } n ? Units(n) : "");
                break;
            case FhirString s:
                (f[1], f[4]) = (s.Value?.Contains('\n', StringComparison.Ordinal) == true ? "FT" : "ST", Ft(s.Value));
                break;
            case CodeableConcept c:
                (f[1], f[4]) = ("CWE", Cwe(c, maps));
                break;
            case FhirDateTime d:
                (f[1], f[4]) = ("DTM", Time(d.Value));
                break;
            case Hl7.Fhir.Model.Time t:
                (f[1], f[4]) = ("TM", (t.Value ?? "").Replace(":", "", StringComparison.Ordinal));
                break;
            case null:
                break;
            default:
                issues.Add(new MapIssue(MapIssueSeverity.Warning, $"OBX[{set}]-5", $"a value of type {observation.Value.TypeName} has no v2 form here: not written"));
                break;
        }
        f[2] = Cwe(observation.Code, maps);
        f[6] = E(observation.ReferenceRange.FirstOrDefault()?.Text);
        f[7] = Reps(observation.Interpretation.Select(i => E(i.Coding.FirstOrDefault()?.Code)));
        f[10] = Vocabulary.ObservationStatusToV2(observation.Status);
        f[13] = observation.Effective is FhirDateTime effective ? Time(effective.Value) : "";
        f[15] = Reps(observation.Performer.Select(p => Xcn(practitioner(p), maps)));
        return Seg("OBX", f);
    }
}
