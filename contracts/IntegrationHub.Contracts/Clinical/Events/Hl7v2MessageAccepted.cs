namespace IntegrationHub.Contracts.Clinical.Events;

/// <summary>
/// The Clinical endpoint answered an HL7 v2 message <c>AA</c> (or <c>CA</c>): from here on the hub holds it. Published
/// once per accepted message (a resend of the same control id within the duplicate window is ACKed again, not published
/// again). <paramref name="Message"/> is the message as the hub read it, in canonical form (every segment ended by CR);
/// parse it with <c>Hl7Parser.Parse(string)</c>. It holds personal data: never log it.
/// </summary>
/// <param name="MessageId">The hub's id of this hand-off.</param>
/// <param name="Department">The department the listener (or the HTTP token) is bound to.</param>
/// <param name="Channel"><c>mllp:{listener}</c> or <c>http</c>.</param>
/// <param name="MessageType">MSH-9.1^MSH-9.2, e.g. <c>ADT^A04</c>.</param>
/// <param name="CharacterSet">MSH-18 as sent (empty when not declared).</param>
public sealed record Hl7v2MessageAccepted(
    string MessageId,
    string Department,
    string Channel,
    string SendingApplication,
    string SendingFacility,
    string ControlId,
    string MessageType,
    string Version,
    string CharacterSet,
    string Message,
    DateTimeOffset ReceivedAt);
