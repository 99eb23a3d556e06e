using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Hosting;

/// <summary>
/// One endpoint: one name everywhere (folder/assembly <c>IntegrationHub.{Name}</c>, queue <c>hub.{name}</c>,
/// configuration section <c>Hub:Endpoints:{Name}</c>), its own input queue and its own container of handlers.
/// </summary>
public abstract class HubEndpoint
{
    public abstract string Name { get; }

    public string QueueName => QueueNameOf(Name);

    /// <summary>Register the endpoint's handlers, sagas and adapters.</summary>
    public abstract void ConfigureServices(IServiceCollection services, IConfiguration configuration);

    /// <summary>
    /// Tables the endpoint keeps of its own (PostgreSQL mode): typically
    /// <c>MigrationSet.FromAssembly(Name.ToLowerInvariant(), GetType().Assembly)</c> over its <c>Migrations/*.sql</c>.
    /// </summary>
    public virtual Persistence.MigrationSet? Migrations => null;

    /// <summary>Event types the endpoint subscribes to when it starts.</summary>
    public virtual IEnumerable<Type> Subscriptions => [];

    public static string QueueNameOf(string endpointName) => "hub." + endpointName.ToLowerInvariant();
}
