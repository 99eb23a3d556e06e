using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.Adapters.AsyncProvider;

/// <summary>
/// One client per provider for the life of the process, so that each provider keeps one circuit breaker and one token
/// cache. <see cref="AddAsyncProviderClients"/> registers it; the options of each provider come from whoever knows them.
/// </summary>
public sealed class AsyncProviderClients(TimeProvider time, ILoggerFactory loggers) : IDisposable
{
    readonly ConcurrentDictionary<string, AsyncProviderClient> _clients = new(StringComparer.OrdinalIgnoreCase);

    public AsyncProviderClient For(string provider, AsyncProviderOptions options) =>
        _clients.GetOrAdd(provider, name => new AsyncProviderClient(name, options, time, loggers.CreateLogger<AsyncProviderClient>()));

    public void Dispose()
    {
        foreach (var client in _clients.Values)
            client.Dispose();
    }
}

public static class AsyncProviderServiceCollectionExtensions
{
    /// <summary>The asynchronous-provider adapter: <see cref="AsyncProviderClients"/>, one client per provider.</summary>
    public static IServiceCollection AddAsyncProviderClients(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<AsyncProviderClients>();
        return services;
    }
}
