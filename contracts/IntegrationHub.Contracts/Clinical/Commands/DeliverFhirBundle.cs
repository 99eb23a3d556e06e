namespace IntegrationHub.Contracts.Clinical.Commands;

/// <summary>
/// Write a clinical event's FHIR Bundle to the department's FHIR server (<c>Hub:Clinical:Routes:{department}:FhirServer</c>)
/// as one FHIR transaction: conditional updates on each resource's identifier, the Patient only when the server holds no
/// newer version of it. Sent by the Clinical endpoint to itself for each clinical event of a department with a FHIR
/// route, and followed as a delivery (status at <c>/api/v1/clinical/deliveries/{DeliveryId}</c>, retries after
/// <c>Hub:Clinical:Deliveries</c>, <see cref="Events.FhirBundleDelivered"/> or <see cref="Events.FhirBundleDeliveryFailed"/>
/// at the end); <paramref name="Bundle"/> is the event's Bundle (JSON, personal data: never log it).
/// <paramref name="UpdatesPatient"/>: the message is about the patient (ADT) and may update the server's Patient; a
/// result, appointment or immunization only creates it when the server has none.
/// </summary>
public sealed record DeliverFhirBundle(string DeliveryId, string Department, string PatientId, long Version, bool UpdatesPatient, string Bundle);
