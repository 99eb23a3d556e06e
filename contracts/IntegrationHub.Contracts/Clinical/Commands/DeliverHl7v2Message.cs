namespace IntegrationHub.Contracts.Clinical.Commands;

/// <summary>
/// Deliver an HL7 v2 message to a legacy system over MLLP: <paramref name="Destination"/> names one of
/// <c>Hub:Clinical:Hl7v2:Destinations</c>, which must belong to <paramref name="Department"/>. The Clinical endpoint
/// follows it as a delivery (status at <c>/api/v1/clinical/deliveries/{DeliveryId}</c>): it waits for the system's
/// ACK, tries again with backoff on AE or no ACK (<c>Hub:Clinical:Deliveries</c>), and publishes
/// <see cref="Events.Hl7v2MessageDelivered"/> on AA; an AR, or no AA through every attempt, publishes
/// <see cref="Events.Hl7v2MessageDeliveryFailed"/> with the reason. <paramref name="Message"/> is ER7 text (segments ended by CR).
/// </summary>
public sealed record DeliverHl7v2Message(string DeliveryId, string Department, string Destination, string Message);
