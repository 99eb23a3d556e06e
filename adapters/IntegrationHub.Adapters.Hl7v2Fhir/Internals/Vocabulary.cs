using Hl7.Fhir.Model;

namespace IntegrationHub.Adapters.Hl7v2Fhir.Internals;

/// <summary>The IG's vocabulary maps the segment maps use (v2 table → FHIR code), each with its way back.</summary>
internal static class Vocabulary
{
    // Table 0396 names HL7 publishes a FHIR URI for (the IG's CodeSystem map); the rest are configured or kept as a URN.
    static readonly Dictionary<string, string> CodeSystems = new(StringComparer.OrdinalIgnoreCase)
    {
        ["LN"] = "http://loinc.org",
        ["SCT"] = "http://snomed.info/sct",
        ["SCT2"] = "http://snomed.info/sct",
        ["SNM3"] = "http://snomed.info/sct",
        ["SNM"] = "http://terminology.hl7.org/CodeSystem/snm",
        ["I10"] = "http://hl7.org/fhir/sid/icd-10",
        ["I10C"] = "http://hl7.org/fhir/sid/icd-10-cm",
        ["I9"] = "http://hl7.org/fhir/sid/icd-9",
        ["I9C"] = "http://hl7.org/fhir/sid/icd-9-cm",
        ["CVX"] = "http://hl7.org/fhir/sid/cvx",
        ["MVX"] = "http://hl7.org/fhir/sid/mvx",
        ["NDC"] = "http://hl7.org/fhir/sid/ndc",
        ["RXNORM"] = "http://www.nlm.nih.gov/research/umls/rxnorm",
        ["UCUM"] = "http://unitsofmeasure.org",
        ["C4"] = "http://www.ama-assn.org/go/cpt",
        ["NPI"] = "http://hl7.org/fhir/sid/us-npi",
        ["NULLFL"] = "http://terminology.hl7.org/CodeSystem/v3-NullFlavor",
    };

    static readonly Dictionary<string, string> CodeSystemNames =
        CodeSystems.GroupBy(p => p.Value).ToDictionary(g => g.Key, g => g.First().Key, StringComparer.Ordinal);

    public static string? KnownCodeSystem(string name) => CodeSystems.GetValueOrDefault(name);
    public static string? KnownCodeSystemName(string system) => CodeSystemNames.GetValueOrDefault(system);

    /// <summary>Table 0001 → AdministrativeGender (the IG's "AdministrativeSex" map).</summary>
    public static AdministrativeGender? Gender(string code) => code.ToUpperInvariant() switch
    {
        "M" => AdministrativeGender.Male,
        "F" => AdministrativeGender.Female,
        "O" or "A" or "N" => AdministrativeGender.Other,
        "U" => AdministrativeGender.Unknown,
        _ => null,
    };

    public static string GenderToV2(AdministrativeGender? gender) => gender switch
    {
        AdministrativeGender.Male => "M",
        AdministrativeGender.Female => "F",
        AdministrativeGender.Other => "O",
        AdministrativeGender.Unknown => "U",
        _ => "",
    };

    /// <summary>Table 0200 → HumanName.use.</summary>
    public static HumanName.NameUse? NameUse(string code) => code.ToUpperInvariant() switch
    {
        "L" or "R" => HumanName.NameUse.Official,
        "D" => HumanName.NameUse.Usual,
        "M" => HumanName.NameUse.Maiden,
        "N" => HumanName.NameUse.Nickname,
        "MSK" => HumanName.NameUse.Anonymous,
        "BAD" => HumanName.NameUse.Old,
        "NAV" or "TEMP" => HumanName.NameUse.Temp,
        _ => null,
    };

    /// <summary>Table 0190 → Address.use / Address.type.</summary>
    public static (Address.AddressUse? Use, Address.AddressType? Type) AddressType(string code) => code.ToUpperInvariant() switch
    {
        "H" => (Address.AddressUse.Home, null),
        "B" or "O" => (Address.AddressUse.Work, null),
        "C" => (Address.AddressUse.Temp, null),
        "BI" => (Address.AddressUse.Billing, null),
        "BA" => (Address.AddressUse.Old, null),
        "M" or "SH" => (null, Address.AddressType.Postal),
        _ => (null, null),
    };

    /// <summary>Table 0202 (equipment type) → ContactPoint.system.</summary>
    public static ContactPoint.ContactPointSystem TelecomSystem(string equipment, bool hasEmail) => equipment.ToUpperInvariant() switch
    {
        "INTERNET" or "X.400" => ContactPoint.ContactPointSystem.Email,
        "" when hasEmail => ContactPoint.ContactPointSystem.Email,
        "FX" => ContactPoint.ContactPointSystem.Fax,
        "BP" => ContactPoint.ContactPointSystem.Pager,
        "MD" or "SAT" or "TDD" or "TTY" => ContactPoint.ContactPointSystem.Other,
        _ => ContactPoint.ContactPointSystem.Phone,
    };

    /// <summary>Table 0201 (telecommunication use) → ContactPoint.use.</summary>
    public static ContactPoint.ContactPointUse? TelecomUse(string code) => code.ToUpperInvariant() switch
    {
        "PRN" => ContactPoint.ContactPointUse.Home,
        "WPN" => ContactPoint.ContactPointUse.Work,
        "PRS" => ContactPoint.ContactPointUse.Mobile,
        _ => null,
    };

    /// <summary>PV1-2 (table 0004) → Encounter.class (v3 ActCode).</summary>
    public static Coding? EncounterClass(string code)
    {
        const string actCode = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
        return code.ToUpperInvariant() switch
        {
            "E" => new Coding(actCode, "EMER", "emergency"),
            "I" => new Coding(actCode, "IMP", "inpatient encounter"),
            "O" => new Coding(actCode, "AMB", "ambulatory"),
            "P" => new Coding(actCode, "PRENC", "pre-admission"),
            _ => null,
        };
    }

    public static string EncounterClassToV2(string? code) => code switch
    {
        "EMER" => "E",
        "IMP" => "I",
        "AMB" => "O",
        "PRENC" => "P",
        _ => "",
    };

    /// <summary>OBX-11 (table 0085) → Observation.status.</summary>
    public static ObservationStatus? ObservationStatus(string code) => code.ToUpperInvariant() switch
    {
        "F" => Hl7.Fhir.Model.ObservationStatus.Final,
        "P" => Hl7.Fhir.Model.ObservationStatus.Preliminary,
        "C" => Hl7.Fhir.Model.ObservationStatus.Corrected,
        "A" => Hl7.Fhir.Model.ObservationStatus.Amended,
        "D" or "W" => Hl7.Fhir.Model.ObservationStatus.EnteredInError,
        "X" => Hl7.Fhir.Model.ObservationStatus.Cancelled,
        _ => null,
    };

    public static string ObservationStatusToV2(ObservationStatus? status) => status switch
    {
        Hl7.Fhir.Model.ObservationStatus.Final => "F",
        Hl7.Fhir.Model.ObservationStatus.Preliminary => "P",
        Hl7.Fhir.Model.ObservationStatus.Corrected => "C",
        Hl7.Fhir.Model.ObservationStatus.Amended => "A",
        Hl7.Fhir.Model.ObservationStatus.Cancelled => "X",
        Hl7.Fhir.Model.ObservationStatus.EnteredInError => "W",
        _ => "",
    };

    /// <summary>OBR-25 (table 0123) → DiagnosticReport.status.</summary>
    public static DiagnosticReport.DiagnosticReportStatus? ReportStatus(string code) => code.ToUpperInvariant() switch
    {
        "O" or "I" or "S" => DiagnosticReport.DiagnosticReportStatus.Registered,
        "P" => DiagnosticReport.DiagnosticReportStatus.Preliminary,
        "R" => DiagnosticReport.DiagnosticReportStatus.Partial,
        "F" => DiagnosticReport.DiagnosticReportStatus.Final,
        "C" => DiagnosticReport.DiagnosticReportStatus.Corrected,
        "X" => DiagnosticReport.DiagnosticReportStatus.Cancelled,
        _ => null,
    };

    public static string ReportStatusToV2(DiagnosticReport.DiagnosticReportStatus? status) => status switch
    {
        DiagnosticReport.DiagnosticReportStatus.Registered => "O",
        DiagnosticReport.DiagnosticReportStatus.Preliminary => "P",
        DiagnosticReport.DiagnosticReportStatus.Partial => "R",
        DiagnosticReport.DiagnosticReportStatus.Final => "F",
        DiagnosticReport.DiagnosticReportStatus.Corrected => "C",
        DiagnosticReport.DiagnosticReportStatus.Cancelled => "X",
        _ => "",
    };

    /// <summary>OBX-8 (table 0078) → Observation.interpretation (v3 ObservationInterpretation, the codes are the same).</summary>
    public static Coding? Interpretation(string code)
    {
        const string system = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";
        var upper = code.ToUpperInvariant();
        string[] known = ["<", ">", "A", "AA", "B", "CAR", "D", "DET", "E", "EX", "EXP", "H", "HH", "HU", "I", "IE", "IND", "L", "LL", "LU", "MS", "N", "NCL", "ND", "NEG", "NR", "NS", "POS", "R", "RR", "S", "SDD", "SYN-R", "SYN-S", "U", "UNE", "VS", "W", "WR"];
        return known.Contains(upper) ? new Coding(system, upper) : null;
    }

    /// <summary>AL1-4 (table 0128) → AllergyIntolerance.criticality (SV, MI) — MO and U have none.</summary>
    public static AllergyIntolerance.AllergyIntoleranceCriticality? AllergyCriticality(string code) => code.ToUpperInvariant() switch
    {
        "SV" => AllergyIntolerance.AllergyIntoleranceCriticality.High,
        "MI" => AllergyIntolerance.AllergyIntoleranceCriticality.Low,
        _ => null,
    };

    /// <summary>AL1-4 (table 0128) → AllergyIntolerance.reaction.severity, where criticality has no code for it.</summary>
    public static AllergyIntolerance.AllergyIntoleranceSeverity? ReactionSeverity(string code) => code.ToUpperInvariant() switch
    {
        "SV" => AllergyIntolerance.AllergyIntoleranceSeverity.Severe,
        "MO" => AllergyIntolerance.AllergyIntoleranceSeverity.Moderate,
        "MI" => AllergyIntolerance.AllergyIntoleranceSeverity.Mild,
        _ => null,
    };

    /// <summary>AL1-2 (table 0127) → AllergyIntolerance.category and type (every mapped code is an allergy).</summary>
    public static (AllergyIntolerance.AllergyIntoleranceCategory? Category, AllergyIntolerance.AllergyIntoleranceType? Type) AllergyType(string code) =>
        code.ToUpperInvariant() switch
        {
            "DA" => (AllergyIntolerance.AllergyIntoleranceCategory.Medication, AllergyIntolerance.AllergyIntoleranceType.Allergy),
            "FA" => (AllergyIntolerance.AllergyIntoleranceCategory.Food, AllergyIntolerance.AllergyIntoleranceType.Allergy),
            "EA" or "PA" or "LA" => (AllergyIntolerance.AllergyIntoleranceCategory.Environment, AllergyIntolerance.AllergyIntoleranceType.Allergy),
            "AA" => (AllergyIntolerance.AllergyIntoleranceCategory.Biologic, AllergyIntolerance.AllergyIntoleranceType.Allergy),
            "MA" => (null, AllergyIntolerance.AllergyIntoleranceType.Allergy),
            _ => (null, null),
        };

    /// <summary>SCH-25 (table 0278) → Appointment.status.</summary>
    public static Appointment.AppointmentStatus? AppointmentStatus(string code) => code.ToUpperInvariant() switch
    {
        "PENDING" => Appointment.AppointmentStatus.Pending,
        "WAITLIST" => Appointment.AppointmentStatus.Waitlist,
        "BOOKED" => Appointment.AppointmentStatus.Booked,
        "STARTED" => Appointment.AppointmentStatus.CheckedIn,
        "COMPLETE" => Appointment.AppointmentStatus.Fulfilled,
        "CANCELLED" => Appointment.AppointmentStatus.Cancelled,
        "DELETED" => Appointment.AppointmentStatus.EnteredInError,
        "NOSHOW" => Appointment.AppointmentStatus.Noshow,
        _ => null,
    };

    /// <summary>RXA-20 (table 0322) → Immunization.status.</summary>
    public static Immunization.ImmunizationStatusCodes? ImmunizationStatus(string completion, string action)
    {
        if (action.Equals("D", StringComparison.OrdinalIgnoreCase)) return Immunization.ImmunizationStatusCodes.EnteredInError;
        return completion.ToUpperInvariant() switch
        {
            "CP" or "PA" or "" => Immunization.ImmunizationStatusCodes.Completed,
            "RE" or "NA" => Immunization.ImmunizationStatusCodes.NotDone,
            _ => null,
        };
    }

    /// <summary>Condition.category of a diagnosis carried in an ADT (DG1).</summary>
    public static CodeableConcept ConditionCategory() =>
        new("http://terminology.hl7.org/CodeSystem/condition-category", "encounter-diagnosis", "Encounter Diagnosis");

    /// <summary>DG1-6 (table 0052) → Encounter.diagnosis.use: only A (admitting) has a target, AD.</summary>
    public static CodeableConcept? DiagnosisUse(string code) =>
        code.Equals("A", StringComparison.OrdinalIgnoreCase)
            ? new CodeableConcept("http://terminology.hl7.org/CodeSystem/diagnosis-role", "AD", "Admission diagnosis") : null;

    /// <summary>PV1-2 → Encounter.status when PV1-45 is empty (a discharge time means finished).</summary>
    public static Encounter.EncounterStatus EncounterStatus(string patientClass) => patientClass.ToUpperInvariant() switch
    {
        "P" => Encounter.EncounterStatus.Planned,
        "E" or "I" or "O" or "R" or "B" or "C" or "N" => Encounter.EncounterStatus.InProgress,
        _ => Encounter.EncounterStatus.Unknown,
    };

    /// <summary>PID-16 (table 0002) → v3 MaritalStatus, or v3 NullFlavor for U, O, T.</summary>
    public static Coding? MaritalStatus(string code)
    {
        const string v3 = "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus";
        const string nullFlavor = "http://terminology.hl7.org/CodeSystem/v3-NullFlavor";
        return code.ToUpperInvariant() switch
        {
            "A" or "E" => new Coding(v3, "L"),
            "D" => new Coding(v3, "D"),
            "M" => new Coding(v3, "M"),
            "S" => new Coding(v3, "S"),
            "W" => new Coding(v3, "W"),
            "C" => new Coding(v3, "C"),
            "G" or "P" or "R" => new Coding(v3, "T"),
            "N" => new Coding(v3, "A"),
            "I" => new Coding(v3, "I"),
            "B" => new Coding(v3, "U"),
            "U" => new Coding(nullFlavor, "UNK"),
            "O" => new Coding(nullFlavor, "OTH"),
            "T" => new Coding(nullFlavor, "NAVU"),
            _ => null,
        };
    }

    /// <summary>The way back of <see cref="MaritalStatus"/>: a v3 MaritalStatus or NullFlavor code as table 0002.</summary>
    public static string MaritalStatusToV2(Coding coding) => coding.Code switch
    {
        "L" => "A",
        "D" => "D",
        "M" => "M",
        "S" => "S",
        "W" => "W",
        "C" => "C",
        "T" => "P",
        "A" => "N",
        "I" => "I",
        "U" => "B",
        "UNK" => "U",
        "OTH" => "O",
        "NAVU" => "T",
        _ => "",
    };
}
