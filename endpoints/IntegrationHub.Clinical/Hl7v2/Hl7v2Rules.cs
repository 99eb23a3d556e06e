using IntegrationHub.Adapters.Hl7v2;

namespace IntegrationHub.Clinical.Hl7v2;

/// <summary>
/// What the hub accepts before it answers AA: the message types its v2-to-FHIR maps read, each with the segments and
/// fields its abstract message syntax requires (HL7 v2.5.1 chapters 3, 7, 10 and 4A) — anything else is refused
/// with AR, naming what is missing (table 0357: 100 segment missing, 101 field missing, 200/201 type not supported).
/// </summary>
public static class Hl7v2Rules
{
    static readonly string[] AdtEvents = ["A01", "A02", "A03", "A04", "A05", "A06", "A07", "A08", "A11", "A12", "A13", "A28", "A31", "A40"];
    static readonly string[] SiuEvents = ["S12", "S13", "S14", "S15", "S17", "S26"];

    public static IReadOnlySet<string> SupportedTypes { get; } = AdtEvents.Select(e => "ADT^" + e)
        .Concat(SiuEvents.Select(e => "SIU^" + e))
        .Append("ORU^R01").Append("VXU^V04")
        .ToHashSet(StringComparer.Ordinal);

    static readonly (string Segment, int Field, string What)[] PatientFields = [("PID", 3, "patient identifier list"), ("PID", 5, "patient name")];

    /// <summary>The segments and fields a message of this type must carry, by its MSH-9.</summary>
    static (string[] Segments, (string Segment, int Field, string What)[] Fields) Required(string code, string trigger) => (code, trigger) switch
    {
        ("ADT", "A40") => (["EVN", "PID", "MRG"], [.. PatientFields, ("MRG", 1, "prior patient identifier list")]),
        ("ADT", _) => (["EVN", "PID", "PV1"], [.. PatientFields, ("PV1", 2, "patient class")]),
        ("ORU", _) => (["OBR"], [("OBR", 4, "universal service identifier"), ("OBX", 3, "observation identifier")]),
        ("SIU", _) => (["SCH"], []), // SCH-1 and SCH-2 are each conditional: either may carry the appointment's id
        ("VXU", _) => (["PID"], [.. PatientFields, ("RXA", 5, "administered code")]),
        _ => ([], []),
    };

    /// <summary>
    /// The problems that make the message an AR: a sender the department does not accept, a missing MSH-3 or MSH-10
    /// (without them a resend cannot be recognised), or a required segment or field missing. Empty: accept it.
    /// The type itself is checked by the ACK builder against <see cref="SupportedTypes"/>.
    /// </summary>
    public static IReadOnlyList<Hl7Problem> Check(Hl7Message message, Hl7v2Senders senders)
    {
        var msh = message.Msh;
        var problems = new List<Hl7Problem>();
        var application = msh.SendingApplication.Component(1).Value;
        var facility = msh.SendingFacility.Component(1).Value;
        if (application.Length == 0)
            problems.Add(new Hl7Problem(Hl7ErrorCode.RequiredFieldMissing, "MSH-3 (sending application) is required by this hub", 0, "MSH", 1, 3));
        if (msh.ControlId.Length == 0)
            problems.Add(new Hl7Problem(Hl7ErrorCode.RequiredFieldMissing, "MSH-10 (message control id) is required", 0, "MSH", 1, 10));
        if (problems.Count > 0) return problems;
        if (!senders.Allows(application, facility))
            return [new Hl7Problem(Hl7ErrorCode.ApplicationInternalError,
                $"sending application and facility '{application}^{facility}' may not send to this hub for this department", 0, "MSH", 1, 3)];
        if (!SupportedTypes.Contains($"{msh.MessageCode}^{msh.TriggerEvent}"))
            return problems; // the ACK builder answers 200/201

        var (segments, fields) = Required(msh.MessageCode, msh.TriggerEvent);
        foreach (var name in segments)
            if (message.First(name) is null)
                problems.Add(new Hl7Problem(Hl7ErrorCode.SegmentSequenceError,
                    $"required segment {name} is missing from {msh.MessageCode}^{msh.TriggerEvent}", Segment: name));
        foreach (var (name, field, what) in fields)
            foreach (var segment in message.All(name))
                if (segment.Field(field).IsEmpty)
                    problems.Add(new Hl7Problem(Hl7ErrorCode.RequiredFieldMissing, $"{name}-{field} ({what}) is required",
                        segment.Index, name, segment.Occurrence, field));
        return problems;
    }
}
