namespace IntegrationHub.Contracts.Requests.Events;

// The life of a department's request, published for whoever needs it (status API, webhooks, audit, notifications).
// Every event names the request and the department (tenant) it belongs to.

/// <summary>The gateway accepted the request (202) and handed it on.</summary>
public sealed record RequestAccepted(string RequestId, string Tenant, string Service, DateTimeOffset At);

/// <summary>A step on the way, for the request's timeline: e.g. "forwarded to provider", "provider accepted".</summary>
public sealed record RequestProgressed(string RequestId, string Tenant, string Step, string? Detail, DateTimeOffset At);

/// <summary>The provider answered with a result (JSON, passed through as is).</summary>
public sealed record RequestCompleted(string RequestId, string Tenant, string Result, DateTimeOffset At);

/// <summary>The provider refused or failed, or could not be reached after retries.</summary>
public sealed record RequestFailed(string RequestId, string Tenant, string Error, DateTimeOffset At);

/// <summary>No answer from the provider within its answer timeout.</summary>
public sealed record RequestTimedOut(string RequestId, string Tenant, DateTimeOffset At);
