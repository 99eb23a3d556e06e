using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Persistence;
using IntegrationHub.Providers.Exchanges;
using IntegrationHub.Providers.Registry;
using IntegrationHub.Providers.Retention;
using Rebus.Config;

namespace IntegrationHub.Providers;

/// <summary>
/// Forwards departments' requests to provider systems and runs each conversation (<see cref="ProviderExchangeSaga"/>)
/// until the provider's answer, its refusal or the answer timeout. Queue <c>hub.providers</c>; the callback API
/// (<see cref="Api.ProvidersApi"/>) turns providers' answers into <c>RecordProviderCallback</c> messages. Finished
/// exchanges and unmatched callbacks are forgotten after their retention (<c>Hub:Retention</c>).
/// </summary>
/// <param name="name">"Providers"; tests running several instances on one broker give each a name of its own.</param>
public sealed class ProvidersEndpoint(string name = ProvidersEndpoint.DefaultName) : HubEndpoint
{
    public const string DefaultName = "Providers";
    readonly Lock _lock = new();
    IProviderExchangeStore? _store;

    public override string Name => name;

    public static MigrationSet MigrationSet { get; } = MigrationSet.FromAssembly("providers", typeof(ProvidersEndpoint).Assembly);

    public override MigrationSet? Migrations => MigrationSet;

    public override void ConfigureServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(ProviderRegistry.From(configuration));
        services.AddSingleton<ProviderClients>();
        services.AddSingleton(sp => Store(sp.GetRequiredService<HubOptions>()));
        services.AddSingleton(ProviderRetentionOptions.From(configuration));
        services.AddHostedService<ProviderRetentionService>();
        services.AddRebusHandler<ProviderExchangeSaga>();
        services.AddRebusHandler<CallProviderHandler>();
    }

    /// <summary>The endpoint's store, shared by its handlers and the HTTP API (one instance, also in memory).</summary>
    public IProviderExchangeStore Store(HubOptions options)
    {
        lock (_lock)
            return _store ??= options.Persistence == HubPersistence.PostgreSql
                ? new PostgreSqlProviderExchangeStore(options.PostgresConnectionString)
                : new InMemoryProviderExchangeStore();
    }
}
