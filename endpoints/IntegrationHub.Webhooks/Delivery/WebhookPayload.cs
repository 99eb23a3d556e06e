using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace IntegrationHub.Webhooks.Delivery;

/// <summary>The body partners receive (documented in docs/webhooks.md).</summary>
public static class WebhookPayload
{
    public const string Completed = "request.completed";
    public const string Failed = "request.failed";
    public const string TimedOut = "request.timed-out";

    /// <summary>
    /// The same request and event always give the same delivery id, so an event handled twice yields one delivery
    /// and receivers can dedupe on it.
    /// </summary>
    public static string DeliveryIdFor(string requestId, string eventType)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(eventType + "\n" + requestId));
        return new Guid(hash.AsSpan(0, 16)).ToString();
    }

    public static string StatusOf(string eventType) => eventType switch
    {
        Completed => "completed",
        Failed => "failed",
        TimedOut => "timed-out",
        _ => throw new ArgumentOutOfRangeException(nameof(eventType), eventType, "not a webhook event type"),
    };

    public static string Create(string deliveryId, string eventType, string requestId, string department,
        string? result, string? error, DateTimeOffset occurredAt)
    {
        var body = new JsonObject
        {
            ["id"] = deliveryId,
            ["type"] = eventType,
            ["requestId"] = requestId,
            ["department"] = department,
            ["status"] = StatusOf(eventType),
        };
        if (result is not null) body["result"] = ResultNode(result);
        if (error is not null) body["error"] = error;
        body["occurredAt"] = occurredAt.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
        return body.ToJsonString();
    }

    // Results are JSON from the provider, passed through as is; anything else travels as a string.
    static JsonNode? ResultNode(string result)
    {
        try
        {
            return JsonNode.Parse(result);
        }
        catch (JsonException)
        {
            return JsonValue.Create(result);
        }
    }
}
