using IntegrationHub.Hosting.Persistence;

namespace IntegrationHub.Hosting.Departments;

/// <summary>
/// Where status resources are kept (in memory, or <c>hub.status_resources</c>, <c>hub.status_timeline</c> and
/// <c>hub.idempotency_keys</c> in PostgreSQL). New resources are added by <see cref="StatusResources"/>, which owns
/// the transaction they are committed in.
/// </summary>
public interface IStatusResourceStore
{
    Task<IdempotencyRecord?> FindIdempotencyKey(string department, string route, string key);

    /// <summary>The resource if it exists, is of <paramref name="kind"/> and belongs to <paramref name="department"/>.</summary>
    Task<StatusResource?> Find(StatusKind kind, string department, string id);

    /// <summary>
    /// Adds a resource the endpoint starts itself — for work no department request began (an HL7 v2 message's
    /// deliveries), so with no idempotency key — in the handled message's transaction. False when one with its id exists.
    /// </summary>
    Task<bool> Start(StatusKind kind, NewStatusResource resource);

    /// <summary>
    /// Adds a timeline entry and moves the status forward, never back (in PostgreSQL in the handled message's
    /// transaction). False when the entry was applied before or the resource is unknown to the department.
    /// </summary>
    Task<bool> Apply(StatusKind kind, StatusUpdate update);

    /// <summary>Forgets up to <paramref name="batchSize"/> resources (timeline and key included) that ended before <paramref name="before"/>.</summary>
    Task<int> PruneEnded(StatusKind kind, DateTimeOffset before, int batchSize, CancellationToken cancellationToken);

    /// <summary>The same for resources that never ended and were last updated before <paramref name="before"/>.</summary>
    Task<int> PruneUnfinished(StatusKind kind, DateTimeOffset before, int batchSize, CancellationToken cancellationToken);

    /// <summary>Forgets idempotency keys used before <paramref name="before"/> (their resources stay).</summary>
    Task<int> PruneIdempotencyKeys(StatusKind kind, DateTimeOffset before, int batchSize, CancellationToken cancellationToken);
}

/// <summary>How a store adds a new resource (with its idempotency key) in the caller's transaction.</summary>
internal interface IStatusResourceWriter
{
    /// <summary>Adds the resource and commits <paramref name="transaction"/>; false, committing nothing, when its idempotency key was used before.</summary>
    Task<bool> Add(HubTransaction transaction, StatusKind kind, NewStatusResource resource);
}
