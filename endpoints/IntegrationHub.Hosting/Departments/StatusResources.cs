using IntegrationHub.Hosting.Persistence;
using IntegrationHub.Hosting.Runtime;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
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

    internal StatusResources(EndpointRuntime runtime, IReadOnlyList<StatusKind> kinds, HandlerDatabase database)
    {
        _runtime = runtime;
        Kinds = kinds;
        _store = runtime.Options.Persistence == HubPersistence.PostgreSql
            ? new PostgreSqlStatusResourceStore(runtime.Options.PostgresConnectionString, database)
            : new InMemoryStatusResourceStore();
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
            // Open until the end: a refused key is looked up after it.
            await using var transaction = _runtime.Transactions.Begin();
            await send(_runtime.Bus);
            if (_store is PostgreSqlStatusResourceStore postgres)
                stored = await transaction.Complete(postgres.NewRows, new PendingResource(kind, resource));
            else if ((stored = ((InMemoryStatusResourceStore)_store).TryAdd(kind, resource)))
                await transaction.Complete();
        }
        catch (Exception exception) when (!http.RequestAborted.IsCancellationRequested)
        {
            // The database or the bus is away: say so, and that a retry with the same key is safe.
            http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(_runtime.Endpoint.GetType()).LogError(exception,
                "{Kind} {Id} of {Department} could not be stored", kind.Name, resource.Id, resource.Department);
            return EndpointRuntime.Unavailable(http, $"The hub could not store the {kind.Name} right now. Send it again" +
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
        return _store.Find(kind, department, id);
    }

    /// <inheritdoc cref="IStatusResourceStore.Apply"/>
    public Task<bool> Apply(StatusKind kind, StatusUpdate update)
    {
        Check(kind);
        return _store.Apply(kind, update);
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
