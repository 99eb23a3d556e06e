using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace IntegrationHub.Hosting.Departments;

/// <summary>
/// What a department reads of any status resource (a request, a payment, a notification batch…): the same fields for
/// every kind, plus the kind's own attributes (e.g. <c>service</c>) beside them.
/// </summary>
[Description("Where a long-running piece of work stands: its status, its result or error once it ended, and the timeline of its steps.")]
public sealed record StatusView(
    string Id,
    [property: Description("What kind of work this is, e.g. request or payment.")] string Type,
    string Status,
    DateTimeOffset AcceptedAt,
    DateTimeOffset UpdatedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), Description("The result (JSON), once completed.")]
    JsonElement? Result,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), Description("Why it failed, was refused or timed out.")]
    string? Error,
    IReadOnlyList<TimelineView> Timeline)
{
    /// <summary>The kind's own attributes, written beside the common fields.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Attributes { get; init; }

    public static StatusView Of(StatusKind kind, StatusResource resource) => new(resource.Id, kind.Name, resource.Status,
        resource.AcceptedAt, resource.UpdatedAt, Json(resource.Result), resource.Error,
        resource.Timeline.Select(t => new TimelineView(t.At, t.Step, t.Detail)).ToList())
    {
        Attributes = AttributesOf(kind, resource.Id, resource.Attributes),
    };

    internal static Dictionary<string, JsonElement>? AttributesOf(StatusKind kind, string id, IReadOnlyDictionary<string, string> attributes)
    {
        var all = attributes.ToDictionary(a => a.Key, a => JsonSerializer.SerializeToElement(a.Value));
        if (kind.IdAlias is { } alias) all[alias] = JsonSerializer.SerializeToElement(id);
        return all.Count == 0 ? null : all;
    }

    /// <summary>A result is JSON and shown as such; anything else is shown as a string.</summary>
    static JsonElement? Json(string? result)
    {
        if (result is null) return null;
        try
        {
            using var document = JsonDocument.Parse(result);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return JsonSerializer.SerializeToElement(result);
        }
    }
}

public sealed record TimelineView(
    DateTimeOffset At,
    string Step,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Detail);

[Description("The work was stored and handed on; poll statusUrl or wait for the webhook.")]
public sealed record AcceptedView(string Id, string Status, string StatusUrl)
{
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Attributes { get; init; }
}
