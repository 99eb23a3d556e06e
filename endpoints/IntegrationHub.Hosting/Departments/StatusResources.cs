using IntegrationHub.Hosting.Persistence;
using IntegrationHub.Hosting.Runtime;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Rebus.Bus;

namespace IntegrationHub.Hosting.Departments;

/// <summary>
/// The status resources of one endpoint (declared with <see cref="HubEndpointBuilder.StatusResources"/>, reached through
/// <see cref="EndpointRuntime.Status"/>): the department contract's "202 + a status resource with a timeline".
/// <see cref="Accept"/> stores a new resource with its idempotency key and sends the endpoint's messages in one commit;
/// <see cref="Show"/> answers its GET; the endpoint's own events move it on through <see cref="Apply"/> (a projection).
/// </summary>
public sealed class StatusResources
{
    readonly EndpointRuntime _runtime;
    readonly IStatusResourceStore _store;
    readonly IStatusResourceWriter _writer;

    internal StatusResources(EndpointRuntime runtime, IReadOnlyList<StatusKind> kinds, HandlerDatabase database)
    {
        _runtime = runtime;
        Kinds = kinds;
        if (runtime.Options.Persistence == HubPersistence.PostgreSql)
        {
            var postgres = new PostgreSqlStatusResourceStore(runtime.Options.PostgresConnectionString, database);
            (_store, _writer) = (postgres, postgres);
        }
        else
        {
            var inMemory = new InMemoryStatusResourceStore();
            (_store, _writer) = (inMemory, inMemory);
        }
    }

    public IReadOnlyList<StatusKind> Kinds { get; }

    public IStatusResourceStore Store => _store;

    /// <summary>
    /// Stores <paramref name="resource"/> and sends what <paramref name="send"/> sends on the endpoint's bus, in one commit
    /// (a group commit with other callers' in PostgreSQL), and answers 202 with where to follow it. With an idempotency key
    /// the department used on this route before: the same body is a replay (202, <c>Idempotent-Replayed: true</c>, the
    /// resource's current status, nothing sent), another body is refused (422), and one still being stored is a 409.
    /// A database or broker outage answers 503 with <c>Retry-After</c>. (Typed like a POST route, which also answers 400.)
    /// </summary>
    public async Task<Results<Accepted<AcceptedView>, ValidationProblem, ProblemHttpResult>> Accept(HttpContext http, StatusKind kind, NewStatusResource resource,
        Func<IBus, Task> send)
    {
        Check(kind);
        bool stored;
        try
        {
            await using var transaction = _runtime.Transactions.Begin();
            await send(_runtime.Bus);
            stored = await _writer.Add(transaction, kind, resource);
        }
        catch (Exception exception) when (!http.RequestAborted.IsCancellationRequested)
        {
            // The database or the bus is away: say so, and that a retry with the same key is safe.
            return _runtime.CouldNotCommit(http, exception, $"{kind.Name} {resource.Id} of {resource.Department}",
                $"The hub could not store the {kind.Name} right now. Send it again" +
                (resource.IdempotencyKey is null ? $"; send an {IdempotencyKeys.Header} header to make retries safe." : $" with the same {IdempotencyKeys.Header}."));
        }
        if (stored)
            return Accepted(kind, resource.Id, kind.Initial, resource.Attributes);

        // The department used this key before (or a concurrent request with it was stored first): nothing was sent.
        var earlier = await _store.FindIdempotencyKey(resource.Department, resource.Route, resource.IdempotencyKey!);
        if (earlier is null)
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: $"{Title(kind)} in progress",
                detail: $"A {kind.Name} with the same {IdempotencyKeys.Header} is being stored right now; retry in a moment.");
        if (earlier.BodyHash != resource.BodyHash)
            return TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: $"{IdempotencyKeys.Header} reused",
                detail: $"This {IdempotencyKeys.Header} was already used with a different body. Use a new key for a new {kind.Name}.");

        var original = await _store.Find(kind, resource.Department, earlier.ResourceId);
        http.Response.Headers[IdempotencyKeys.ReplayedHeader] = "true";
        return Accepted(kind, earlier.ResourceId, original?.Status ?? kind.Initial, original?.Attributes ?? resource.Attributes);
    }

    /// <summary>GET of a status resource: its department only; another department's is "not found" too (its existence is not revealed).</summary>
    public async Task<Results<Ok<StatusView>, ProblemHttpResult>> Show(StatusKind kind, string department, string id)
    {
        Check(kind);
        var resource = await _store.Find(kind, department, id);
        return resource is null
            ? TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: $"{Title(kind)} not found",
                detail: $"There is no {kind.Name} '{id}' for department '{department}'.")
            : TypedResults.Ok(StatusView.Of(kind, resource));
    }

    public Task<StatusResource?> Find(StatusKind kind, string department, string id)
    {
        Check(kind);
        return _store.Find(kind, DepartmentRegistry.Normalize(department), id);
    }

    /// <inheritdoc cref="IStatusResourceStore.Start"/>
    public Task<bool> Start(StatusKind kind, NewStatusResource resource)
    {
        Check(kind);
        return _store.Start(kind, resource with { Department = DepartmentRegistry.Normalize(resource.Department) });
    }

    /// <inheritdoc cref="IStatusResourceStore.Apply"/>
    /// <remarks>
    /// The department is normalised here, as events of conversations begun before ids were lower case still carry
    /// the department as its token spelled it.
    /// </remarks>
    public Task<bool> Apply(StatusKind kind, StatusUpdate update)
    {
        Check(kind);
        return _store.Apply(kind, update with { Department = DepartmentRegistry.Normalize(update.Department) });
    }

    static Accepted<AcceptedView> Accepted(StatusKind kind, string id, string status, IReadOnlyDictionary<string, string> attributes)
    {
        var url = kind.StatusUrl(id);
        return TypedResults.Accepted(url, new AcceptedView(id, status, url) { Attributes = StatusView.AttributesOf(kind, id, attributes) });
    }

    void Check(StatusKind kind)
    {
        if (!Kinds.Contains(kind))
            throw new InvalidOperationException($"Endpoint {_runtime.Name} did not declare status resources of kind '{kind.Name}' (endpoint.StatusResources(...)).");
    }

    static string Title(StatusKind kind) => char.ToUpperInvariant(kind.Name[0]) + kind.Name[1..];
}
