using System.Text.Json.Nodes;

namespace IntegrationHub.Contracts.Requests.Events;

// The life of a department's request, published for whoever needs it (status API, webhooks, audit, notifications).
// Every event names the request and the department (tenant) it belongs to. RequestAccepted is the Gateway's; the
// others are the Providers endpoint's, which also declares which of them departments hear of by webhook.

/// <summary>The gateway accepted the request (202) and handed it on.</summary>
public sealed record RequestAccepted(string RequestId, string Tenant, string Service, DateTimeOffset At);

/// <summary>A step on the way, for the request's timeline: e.g. "forwarded to provider", "provider accepted".</summary>
public sealed record RequestProgressed(string RequestId, string Tenant, string Step, string? Detail, DateTimeOffset At);

/// <summary>The provider answered with a result (JSON, passed through as is).</summary>
[WebhookType("request.completed")]
public sealed record RequestCompleted(string RequestId, string Tenant, string Result, DateTimeOffset At) : IDepartmentEvent
{
    string IDepartmentEvent.Department => Tenant;
    string IDepartmentEvent.Subject => RequestId;
    DateTimeOffset IDepartmentEvent.OccurredAt => At;
    JsonObject IDepartmentEvent.WebhookData() => new() { ["requestId"] = RequestId, ["status"] = "completed", ["result"] = WebhookJson.Parse(Result) };
}

/// <summary>The provider refused or failed, or could not be reached after retries.</summary>
[WebhookType("request.failed")]
public sealed record RequestFailed(string RequestId, string Tenant, string Error, DateTimeOffset At) : IDepartmentEvent
{
    string IDepartmentEvent.Department => Tenant;
    string IDepartmentEvent.Subject => RequestId;
    DateTimeOffset IDepartmentEvent.OccurredAt => At;
    JsonObject IDepartmentEvent.WebhookData() => new() { ["requestId"] = RequestId, ["status"] = "failed", ["error"] = Error };
}

/// <summary>No answer from the provider within its answer timeout.</summary>
[WebhookType("request.timed-out")]
public sealed record RequestTimedOut(string RequestId, string Tenant, DateTimeOffset At) : IDepartmentEvent
{
    string IDepartmentEvent.Department => Tenant;
    string IDepartmentEvent.Subject => RequestId;
    DateTimeOffset IDepartmentEvent.OccurredAt => At;
    JsonObject IDepartmentEvent.WebhookData() => new() { ["requestId"] = RequestId, ["status"] = "timed-out" };
}
