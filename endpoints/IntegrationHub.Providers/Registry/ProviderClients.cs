using System.Collections.Concurrent;
using IntegrationHub.Adapters.AsyncProvider;

namespace IntegrationHub.Providers.Registry;

/// <summary>One client per provider for the life of the endpoint, so each provider keeps one circuit breaker and token cache.</summary>
public sealed class ProviderClients(TimeProvider time) : IDisposable
{
    readonly ConcurrentDictionary<string, AsyncProviderClient> _clients = new(StringComparer.OrdinalIgnoreCase);

    public AsyncProviderClient For(ProviderSettings provider) =>
        _clients.GetOrAdd(provider.Name, _ => new AsyncProviderClient(provider.Name, provider.Connection, time));

    public void Dispose()
    {
        foreach (var client in _clients.Values)
            client.Dispose();
    }
}
