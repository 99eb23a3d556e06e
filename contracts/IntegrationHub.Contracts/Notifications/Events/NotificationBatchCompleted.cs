using System.Text.Json.Nodes;

namespace IntegrationHub.Contracts.Notifications.Events;

/// <summary>Every message of a department's request ended; <paramref name="Counts"/> says how many in each state (delivered, failed, unknown …).</summary>
[WebhookType("notification.batch-completed")]
public sealed record NotificationBatchCompleted(string BatchId, string Department, string Channel, IReadOnlyDictionary<string, int> Counts, DateTimeOffset At)
    : IDepartmentEvent
{
    string IDepartmentEvent.Subject => BatchId;
    DateTimeOffset IDepartmentEvent.OccurredAt => At;

    public JsonObject WebhookData() => new()
    {
        ["batchId"] = BatchId, ["channel"] = Channel,
        ["counts"] = new JsonObject([.. Counts.Select(c => KeyValuePair.Create(c.Key, (JsonNode?)c.Value))]),
    };
}
