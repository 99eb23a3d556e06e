using System.Text.Json.Nodes;

namespace IntegrationHub.Contracts.Clinical.Events;

/// <summary>A legacy system ACKed (AA or CA) a message the hub delivered to it (<see cref="Commands.DeliverHl7v2Message"/>).</summary>
[WebhookType("hl7v2.delivered")]
public sealed record Hl7v2MessageDelivered(string DeliveryId, string Department, string Destination, string ControlId, string AckCode,
    int Attempts, DateTimeOffset At) : IDepartmentEvent
{
    string IDepartmentEvent.Subject => DeliveryId;
    DateTimeOffset IDepartmentEvent.OccurredAt => At;

    public JsonObject WebhookData() => new()
    {
        ["deliveryId"] = DeliveryId,
        ["destination"] = Destination,
        ["controlId"] = ControlId,
        ["ackCode"] = AckCode,
        ["attempts"] = Attempts,
    };
}
