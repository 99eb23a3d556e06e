namespace IntegrationHub.Adapters.Hl7v2;

// Typed views of the segments the v2-to-FHIR maps read. Each is a thin wrapper over the segment: nothing is copied,
// and a field the view does not name is still reachable through Segment.Field(n).

public readonly record struct MshSegment(Hl7Segment Segment)
{
    public Hl7Element SendingApplication => Segment.Field(3);
    public Hl7Element SendingFacility => Segment.Field(4);
    public Hl7Element ReceivingApplication => Segment.Field(5);
    public Hl7Element ReceivingFacility => Segment.Field(6);
    public string DateTimeOfMessage => Segment[7];
    public Hl7Element MessageType => Segment.Field(9);
    public string MessageCode => Segment[9, 1];
    public string TriggerEvent => Segment[9, 2];
    public string MessageStructure => Segment[9, 3];
    public string ControlId => Segment[10];
    public string ProcessingId => Segment[11];
    public string VersionId => Segment[12];
    public string AcceptAckType => Segment[15];
    public string ApplicationAckType => Segment[16];
    public string CharacterSet => Segment[18];
}

public readonly record struct EvnSegment(Hl7Segment Segment)
{
    public string EventTypeCode => Segment[1];
    public string RecordedDateTime => Segment[2];
    public Hl7Element OperatorId => Segment.Field(5);
    public string EventOccurred => Segment[6];
}

public readonly record struct PidSegment(Hl7Segment Segment)
{
    public string SetId => Segment[1];
    public Hl7Element PatientIdentifierList => Segment.Field(3);
    public Hl7Element PatientName => Segment.Field(5);
    public string FamilyName => Segment[5, 1];
    public string GivenName => Segment[5, 2];
    public Hl7Element MothersMaidenName => Segment.Field(6);
    public string DateOfBirth => Segment[7];
    public string AdministrativeSex => Segment[8];
    public Hl7Element Address => Segment.Field(11);
    public Hl7Element HomePhone => Segment.Field(13);
    public Hl7Element PatientAccountNumber => Segment.Field(18);
    public string DeathDateTime => Segment[29];
    public string DeathIndicator => Segment[30];
}

public readonly record struct Pd1Segment(Hl7Segment Segment)
{
    public Hl7Element PatientPrimaryFacility => Segment.Field(3);
    public Hl7Element PatientPrimaryCareProvider => Segment.Field(4);
}

public readonly record struct Nk1Segment(Hl7Segment Segment)
{
    public string SetId => Segment[1];
    public Hl7Element Name => Segment.Field(2);
    public Hl7Element Relationship => Segment.Field(3);
    public Hl7Element Address => Segment.Field(4);
    public Hl7Element PhoneNumber => Segment.Field(5);
}

public readonly record struct Pv1Segment(Hl7Segment Segment)
{
    public string PatientClass => Segment[2];
    public Hl7Element AssignedPatientLocation => Segment.Field(3);
    public Hl7Element AttendingDoctor => Segment.Field(7);
    public Hl7Element VisitNumber => Segment.Field(19);
    public string AdmitDateTime => Segment[44];
    public string DischargeDateTime => Segment[45];
}

public readonly record struct Pv2Segment(Hl7Segment Segment)
{
    public Hl7Element AdmitReason => Segment.Field(3);
    public string ExpectedDischargeDateTime => Segment[9];
}

public readonly record struct OrcSegment(Hl7Segment Segment)
{
    public string OrderControl => Segment[1];
    public Hl7Element PlacerOrderNumber => Segment.Field(2);
    public Hl7Element FillerOrderNumber => Segment.Field(3);
    public string OrderStatus => Segment[5];
    public Hl7Element OrderingProvider => Segment.Field(12);
}

public readonly record struct ObrSegment(Hl7Segment Segment)
{
    public string SetId => Segment[1];
    public Hl7Element PlacerOrderNumber => Segment.Field(2);
    public Hl7Element FillerOrderNumber => Segment.Field(3);
    public Hl7Element UniversalServiceId => Segment.Field(4);
    public string ObservationDateTime => Segment[7];
    public string ResultStatus => Segment[25];
}

public readonly record struct ObxSegment(Hl7Segment Segment)
{
    public string SetId => Segment[1];
    public string ValueType => Segment[2];
    public Hl7Element ObservationIdentifier => Segment.Field(3);
    public string ObservationSubId => Segment[4];
    public Hl7Element ObservationValue => Segment.Field(5);
    public Hl7Element Units => Segment.Field(6);
    public string ReferencesRange => Segment[7];
    public Hl7Element InterpretationCodes => Segment.Field(8);
    public string ResultStatus => Segment[11];
    public string ObservationDateTime => Segment[14];
}

public readonly record struct NteSegment(Hl7Segment Segment)
{
    public string SetId => Segment[1];
    public string SourceOfComment => Segment[2];
    public Hl7Element Comment => Segment.Field(3);
}

public readonly record struct Al1Segment(Hl7Segment Segment)
{
    public string SetId => Segment[1];
    public Hl7Element AllergenTypeCode => Segment.Field(2);
    public Hl7Element AllergenCode => Segment.Field(3);
    public Hl7Element SeverityCode => Segment.Field(4);
    public Hl7Element Reaction => Segment.Field(5);
}

public readonly record struct Dg1Segment(Hl7Segment Segment)
{
    public string SetId => Segment[1];
    public Hl7Element DiagnosisCode => Segment.Field(3);
    public string DiagnosisDateTime => Segment[5];
    public string DiagnosisType => Segment[6];
}

public readonly record struct SchSegment(Hl7Segment Segment)
{
    public Hl7Element PlacerAppointmentId => Segment.Field(1);
    public Hl7Element FillerAppointmentId => Segment.Field(2);
    public Hl7Element AppointmentReason => Segment.Field(7);
    public Hl7Element AppointmentTiming => Segment.Field(11);
    public Hl7Element FillerStatusCode => Segment.Field(25);
}

public readonly record struct AilSegment(Hl7Segment Segment)
{
    public string SetId => Segment[1];
    public Hl7Element LocationResourceId => Segment.Field(3);
    public string StartDateTime => Segment[6];
}

public readonly record struct AipSegment(Hl7Segment Segment)
{
    public string SetId => Segment[1];
    public Hl7Element PersonnelResourceId => Segment.Field(3);
    public Hl7Element ResourceRole => Segment.Field(4);
    public string StartDateTime => Segment[6];
}

public readonly record struct RxaSegment(Hl7Segment Segment)
{
    public string StartDateTime => Segment[3];
    public Hl7Element AdministeredCode => Segment.Field(5);
    public string AdministeredAmount => Segment[6];
    public Hl7Element AdministeredUnits => Segment.Field(7);
    public string LotNumber => Segment[15];
    public string CompletionStatus => Segment[20];
}

public readonly record struct RxrSegment(Hl7Segment Segment)
{
    public Hl7Element Route => Segment.Field(1);
    public Hl7Element AdministrationSite => Segment.Field(2);
}
