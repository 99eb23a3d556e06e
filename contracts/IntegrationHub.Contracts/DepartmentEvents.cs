using System.Text.Json.Nodes;

namespace IntegrationHub.Contracts;

/// <summary>
/// An event a department hears of by webhook. The endpoint that owns the event declares it here, on the event's
/// record: its webhook type (<see cref="WebhookTypeAttribute"/>), whose department it is, what it is about and when
/// it happened, and what the department receives as the webhook's <c>data</c>. The Webhooks endpoint delivers every
/// such event in one envelope: <c>{ id, type, department, subject, occurredAt, data }</c> (docs/webhooks.md).
/// Implement the members explicitly, so that they stay out of the message itself.
/// </summary>
public interface IDepartmentEvent
{
    /// <summary>The department (tenant) the event belongs to, and whose registered URL receives it.</summary>
    string Department { get; }

    /// <summary>The id of what the event is about (a request id, a payment id…), as the department knows it.</summary>
    string Subject { get; }

    DateTimeOffset OccurredAt { get; }

    /// <summary>What the department receives as <c>data</c>: never more than the department may see.</summary>
    JsonObject WebhookData();
}

/// <summary>
/// The webhook type of an <see cref="IDepartmentEvent"/>: <c>{thing}.{what happened}</c> in lower case (<c>payment.captured</c>).
/// Partners code against it: once published it never changes.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class WebhookTypeAttribute(string type) : Attribute
{
    public string Type { get; } = type;
}

/// <summary>JSON passed through into webhook data as it is, or as a string when it is not JSON.</summary>
public static class WebhookJson
{
    public static JsonNode? Parse(string? json)
    {
        if (json is null) return null;
        try
        {
            return JsonNode.Parse(json);
        }
        catch (System.Text.Json.JsonException)
        {
            return JsonValue.Create(json);
        }
    }
}
