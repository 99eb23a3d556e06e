using System.Collections.Concurrent;

namespace IntegrationHub.Providers.Exchanges;

/// <summary>For the embedded (in-memory) mode: lost when the process stops, like everything else there.</summary>
public sealed class InMemoryProviderExchangeStore : IProviderExchangeStore
{
    readonly ConcurrentDictionary<string, FinishedExchange> _finished = new();
    readonly ConcurrentDictionary<string, UnmatchedCallback> _unmatched = new();

    public Task Finish(FinishedExchange exchange)
    {
        _finished.TryAdd(exchange.RequestId, exchange);
        return Task.CompletedTask;
    }

    public Task<FinishedExchange?> FindFinished(string requestId) =>
        Task.FromResult(_finished.GetValueOrDefault(requestId));

    public Task<bool> HasFinished(string requestId) => Task.FromResult(_finished.ContainsKey(requestId));

    public Task<bool> KeepUnmatched(UnmatchedCallback callback) =>
        Task.FromResult(_unmatched.TryAdd(callback.CallbackId, callback));

    public Task<IReadOnlyList<UnmatchedCallback>> ListUnmatched(string? provider = null, int limit = 100, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<UnmatchedCallback>>(_unmatched.Values
            .Where(c => provider is null || string.Equals(c.Provider, provider, StringComparison.OrdinalIgnoreCase))
            .OrderByDescending(c => c.ReceivedAt)
            .Take(limit)
            .ToList());

    public Task<int> PruneFinished(DateTimeOffset before, int batchSize, CancellationToken cancellationToken = default) =>
        Task.FromResult(Prune(_finished, e => e.FinishedAt < before, batchSize));

    public Task<int> PruneUnmatched(DateTimeOffset before, int batchSize, CancellationToken cancellationToken = default) =>
        Task.FromResult(Prune(_unmatched, c => c.ReceivedAt < before, batchSize));

    static int Prune<T>(ConcurrentDictionary<string, T> rows, Func<T, bool> expired, int batchSize) =>
        rows.Where(row => expired(row.Value)).Take(batchSize).ToList().Count(row => rows.TryRemove(row));
}
