namespace IntegrationHub.Adapters.Hl7v2;

/// <summary>HL7 table 0357 (message error condition codes) — the subset the hub reports.</summary>
public enum Hl7ErrorCode
{
    SegmentSequenceError = 100,
    RequiredFieldMissing = 101,
    DataTypeError = 102,
    TableValueNotFound = 103,
    UnsupportedMessageType = 200,
    UnsupportedEventCode = 201,
    UnsupportedVersionId = 203,
    ApplicationInternalError = 207,
}

/// <summary>
/// One problem in a message. <paramref name="SegmentIndex"/> is the 0-based position among all segments;
/// <paramref name="SegmentOccurrence"/> the 1-based count of that segment name so far (ERR-2.2).
/// </summary>
public sealed record Hl7Problem(
    Hl7ErrorCode Code,
    string Message,
    int? SegmentIndex = null,
    string? Segment = null,
    int? SegmentOccurrence = null,
    int? Field = null,
    int? Repetition = null,
    int? Component = null)
{
    public override string ToString() =>
        $"{(int)Code} {Segment ?? "?"}[{SegmentIndex}]" + (Field is { } f ? $"-{f}" : "") +
        (Component is { } c ? $".{c}" : "") + $": {Message}";
}
