namespace IntegrationHub.Contracts.Clinical.Events;

/// <summary>A legacy system ACKed (AA or CA) a message the hub delivered to it (<see cref="Commands.DeliverHl7v2Message"/>).</summary>
public sealed record Hl7v2MessageDelivered(string DeliveryId, string Department, string Destination, string ControlId, string AckCode,
    int Attempts, DateTimeOffset At);
