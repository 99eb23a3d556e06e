using IntegrationHub.Hosting;

namespace IntegrationHub.Gateway.Store;

static class RequestStores
{
    /// <summary><c>Hub:Persistence</c> decides: PostgreSQL tables, or the process's one in-memory store.</summary>
    public static IRequestStore Choose(IServiceProvider services, HubOptions options) => options.Persistence == HubPersistence.PostgreSql
        ? services.GetRequiredService<PostgreSqlRequestStore>()
        : services.GetRequiredService<InMemoryRequestStore>();
}
