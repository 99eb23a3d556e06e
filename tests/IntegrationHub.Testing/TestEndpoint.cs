using IntegrationHub.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Testing;

/// <summary>An endpoint assembled by a test: its name, its handlers, its subscriptions.</summary>
public sealed class TestEndpoint(string name, Action<IServiceCollection> configure, params Type[] subscriptions) : HubEndpoint
{
    public override string Name => name;

    public override IEnumerable<Type> Subscriptions => subscriptions;

    public override void ConfigureServices(IServiceCollection services, IConfiguration configuration) => configure(services);
}
