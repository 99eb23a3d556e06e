using IntegrationHub.Contracts.Sample.Events;
using IntegrationHub.Hosting;
using Rebus.Config;

namespace IntegrationHub.Sample;

/// <summary>
/// A small conversation that exercises the whole path until the real endpoints exist: a command, a saga,
/// a deferred timeout, a provider answer, a reply and an event.
/// </summary>
public sealed class SampleEndpoint : HubEndpoint
{
    public override string Name => "Sample";

    public override void ConfigureServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddRebusHandler<EchoSaga>();
        services.AddRebusHandler<EchoProviderSimulator>();
        services.AddRebusHandler<EchoFinishedLog>();
    }

    public override IEnumerable<Type> Subscriptions => [typeof(EchoFinished)];
}
