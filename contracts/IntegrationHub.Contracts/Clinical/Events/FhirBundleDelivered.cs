using System.Text.Json.Nodes;

namespace IntegrationHub.Contracts.Clinical.Events;

/// <summary>
/// A clinical event's FHIR data is at the department's FHIR server (one committed transaction).
/// <paramref name="PatientKept"/> is true when the server already held a newer version of the Patient, which was then
/// left as it was (the other resources were written).
/// </summary>
[WebhookType("fhir.delivered")]
public sealed record FhirBundleDelivered(string DeliveryId, string Department, string PatientId, long Version, int Resources, bool PatientKept,
    DateTimeOffset At) : IDepartmentEvent
{
    string IDepartmentEvent.Subject => PatientId;
    DateTimeOffset IDepartmentEvent.OccurredAt => At;

    public JsonObject WebhookData() => new()
    {
        ["deliveryId"] = DeliveryId,
        ["patientId"] = PatientId,
        ["version"] = Version,
        ["resources"] = Resources,
        ["patientKept"] = PatientKept,
    };
}
