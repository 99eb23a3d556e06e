using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace IntegrationHub.Gateway.Api;

[Description("A request from a department to one of the hub's services.")]
public sealed record SubmitRequestBody(
    [property: Description("The service requested, as configured in the hub (Hub:Services).")] string Service,
    [property: Description("The department's JSON object, passed to the provider as is.")] JsonElement Payload);

[Description("The request was stored and handed on; poll statusUrl or wait for the webhook.")]
public sealed record RequestAcceptedResponse(string RequestId, string Status, string StatusUrl);

[Description("Where a request is: accepted, in-progress, completed, failed or timed-out.")]
public sealed record RequestStatusResponse(
    string RequestId,
    string Service,
    string Status,
    DateTimeOffset AcceptedAt,
    DateTimeOffset UpdatedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), Description("The provider's JSON result (completed only).")]
    JsonElement? Result,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), Description("Why the request failed or timed out.")]
    string? Error,
    IReadOnlyList<TimelineEntryResponse> Timeline);

public sealed record TimelineEntryResponse(
    DateTimeOffset At,
    string Step,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Detail);
