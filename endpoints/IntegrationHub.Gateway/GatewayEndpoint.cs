using IntegrationHub.Contracts.Requests.Events;
using IntegrationHub.Gateway.Store;
using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Persistence;
using Rebus.Config;

namespace IntegrationHub.Gateway;

/// <summary>
/// Queue <c>hub.gateway</c>: follows the events of the requests the gateway accepted and keeps their status.
/// Constructed by <see cref="GatewayApi.AddGatewayApi"/> with the in-memory store the HTTP API also uses.
/// </summary>
public sealed class GatewayEndpoint(InMemoryRequestStore inMemoryStore) : HubEndpoint
{
    public const string EndpointName = "Gateway";

    public static MigrationSet MigrationSet { get; } = MigrationSet.FromAssembly("gateway", typeof(GatewayEndpoint).Assembly);

    public override string Name => EndpointName;

    public override MigrationSet? Migrations => MigrationSet;

    public override IEnumerable<Type> Subscriptions =>
        [typeof(RequestProgressed), typeof(RequestCompleted), typeof(RequestFailed), typeof(RequestTimedOut)];

    public override void ConfigureServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(inMemoryStore);
        services.AddSingleton<PostgreSqlRequestStore>();
        services.AddSingleton<IRequestStore>(sp => RequestStores.Choose(sp, sp.GetRequiredService<HubOptions>()));
        services.AddRebusHandler<RequestStatusProjection>();
    }
}
