namespace IntegrationHub.Providers.Exchanges;

/// <summary>A request's conversation with its provider that has ended, and how.</summary>
public sealed record FinishedExchange(string RequestId, string Provider, string Outcome, bool AnsweredByProvider, DateTimeOffset FinishedAt);

/// <summary>
/// A provider callback that matched no running request. <paramref name="Reason"/> says why: no such request, the
/// request already ended without the provider's answer (a late answer), or another provider serves it.
/// </summary>
public sealed record UnmatchedCallback(string CallbackId, string Provider, string CorrelationId, string Status, string Reason,
    string? Result, string? Error, DateTimeOffset ReceivedAt);

/// <summary>
/// What the Providers endpoint remembers beside its sagas. Writes run in the handled message's transaction
/// (PostgreSQL mode), so they commit with the saga step that made them.
/// </summary>
public interface IProviderExchangeStore
{
    Task Finish(FinishedExchange exchange);

    Task<FinishedExchange?> FindFinished(string requestId);

    /// <summary>
    /// Whether the request's conversation has ended, read at once on a connection of its own (outside the handled
    /// message's transaction): for a handler that must not open that transaction before it calls out.
    /// </summary>
    Task<bool> HasFinished(string requestId);

    /// <summary>Keeps the callback; false when this delivery (same callback id) was kept before.</summary>
    Task<bool> KeepUnmatched(UnmatchedCallback callback);

    /// <summary>The most recent first.</summary>
    Task<IReadOnlyList<UnmatchedCallback>> ListUnmatched(string? provider = null, int limit = 100, CancellationToken cancellationToken = default);

    /// <summary>
    /// Forgets up to <paramref name="batchSize"/> exchanges that finished before <paramref name="before"/>, in a
    /// transaction of its own (not a handler's); returns how many. Rows another pruner holds are left to it.
    /// </summary>
    Task<int> PruneFinished(DateTimeOffset before, int batchSize, CancellationToken cancellationToken = default);

    /// <summary>The same for unmatched callbacks received before <paramref name="before"/>.</summary>
    Task<int> PruneUnmatched(DateTimeOffset before, int batchSize, CancellationToken cancellationToken = default);
}
