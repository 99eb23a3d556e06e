using IntegrationHub.Hosting.Persistence;

namespace IntegrationHub.Gateway.Store;

/// <summary>
/// Where the gateway keeps department requests. In PostgreSQL mode reads and updates run in the ambient transaction
/// (a handler's, or a <c>HubTransactions</c> transaction around an HTTP request); in memory they act at once.
/// </summary>
public interface IRequestStore
{
    /// <summary>
    /// Stores a new request (status accepted, timeline step "accepted") and its idempotency key if it has one, and
    /// completes <paramref name="transaction"/> with it: the messages sent in it leave only if the request was stored.
    /// False, and nothing stored or sent, when the department already used the key.
    /// </summary>
    Task<bool> Add(NewRequest request, HubTransaction transaction);

    Task<IdempotencyRecord?> FindIdempotencyKey(string department, string idempotencyKey);

    /// <summary>The request if it exists and belongs to <paramref name="department"/>.</summary>
    Task<RequestRecord?> Find(string department, string requestId);

    /// <summary>
    /// Adds a timeline entry and moves the status forward (never back). False when the entry was already applied
    /// or the request is unknown to this department.
    /// </summary>
    Task<bool> Apply(RequestUpdate update);
}

public sealed record NewRequest(
    string RequestId, string Department, string Service, DateTimeOffset AcceptedAt, string? IdempotencyKey, string BodyHash);

public sealed record IdempotencyRecord(string RequestId, string BodyHash);

public sealed record TimelineEntry(DateTimeOffset At, string Step, string? Detail);

public sealed record RequestRecord(
    string RequestId,
    string Department,
    string Service,
    string Status,
    DateTimeOffset AcceptedAt,
    DateTimeOffset UpdatedAt,
    string? Result,
    string? Error,
    IReadOnlyList<TimelineEntry> Timeline);

/// <summary>One step reported for a request; <paramref name="EntryId"/> (the reporting message's id) makes it idempotent.</summary>
public sealed record RequestUpdate(
    string RequestId,
    string Department,
    string EntryId,
    string Status,
    string Step,
    string? Detail,
    DateTimeOffset At,
    string? Result = null,
    string? Error = null);
