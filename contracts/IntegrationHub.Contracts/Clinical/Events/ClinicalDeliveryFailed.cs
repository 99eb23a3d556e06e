using System.Text.Json.Nodes;

namespace IntegrationHub.Contracts.Clinical.Events;

/// <summary>
/// A clinical event's FHIR data could not be written to the department's FHIR server: the server refused it (a 4xx
/// other than 408/409/412/429), or every attempt failed, or the delivery's deadline passed. <paramref name="Reason"/>
/// names statuses and codes, never the data.
/// </summary>
[WebhookType("fhir.delivery_failed")]
public sealed record FhirBundleDeliveryFailed(string DeliveryId, string Department, string PatientId, long Version, string Reason, int Attempts,
    DateTimeOffset At) : IDepartmentEvent
{
    string IDepartmentEvent.Subject => PatientId;
    DateTimeOffset IDepartmentEvent.OccurredAt => At;

    public JsonObject WebhookData() => new()
    {
        ["deliveryId"] = DeliveryId,
        ["patientId"] = PatientId,
        ["version"] = Version,
        ["reason"] = Reason,
        ["attempts"] = Attempts,
    };
}

/// <summary>
/// An HL7 v2 message did not reach the department's legacy system: it answered AR (or CR), or gave no AA through every
/// attempt, or the delivery's deadline passed. <paramref name="Reason"/> carries ACK and ERR codes, never the receiver's texts.
/// </summary>
[WebhookType("hl7v2.delivery_failed")]
public sealed record Hl7v2MessageDeliveryFailed(string DeliveryId, string Department, string Destination, string Reason, int Attempts,
    DateTimeOffset At) : IDepartmentEvent
{
    string IDepartmentEvent.Subject => DeliveryId;
    DateTimeOffset IDepartmentEvent.OccurredAt => At;

    public JsonObject WebhookData() => new()
    {
        ["deliveryId"] = DeliveryId,
        ["destination"] = Destination,
        ["reason"] = Reason,
        ["attempts"] = Attempts,
    };
}
