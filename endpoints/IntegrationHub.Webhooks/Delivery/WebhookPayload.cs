using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace IntegrationHub.Webhooks.Delivery;

/// <summary>The one envelope every webhook has (docs/webhooks.md): <c>{ id, type, department, subject, occurredAt, data }</c>.</summary>
public static class WebhookPayload
{
    /// <summary>
    /// The same subject and webhook type always give the same delivery id, so an event handled twice yields one delivery
    /// and receivers can dedupe on it.
    /// </summary>
    public static string DeliveryIdFor(string subject, string type)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(type + "\n" + subject));
        return new Guid(hash.AsSpan(0, 16)).ToString();
    }

    public static string Create(string deliveryId, string type, string department, string subject, DateTimeOffset occurredAt, JsonObject data) =>
        new JsonObject
        {
            ["id"] = deliveryId,
            ["type"] = type,
            ["department"] = department,
            ["subject"] = subject,
            ["occurredAt"] = occurredAt.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            ["data"] = data,
        }.ToJsonString();
}
