using IntegrationHub.Contracts.Sample.Events;
using IntegrationHub.Hosting;

namespace IntegrationHub.Sample;

/// <summary>
/// A small conversation that exercises the whole path: a command, a saga, a deferred timeout, a provider answer, a
/// reply and an event. Queue <c>hub.sample</c>; no routes, no settings of its own.
/// </summary>
public sealed class SampleEndpoint : HubEndpoint
{
    public override string Name => "Sample";

    public override void Configure(HubEndpointBuilder endpoint) => endpoint
        .Handler<EchoSaga>()
        .Handler<EchoProviderSimulator>()
        .Handler<EchoFinishedLog>();

    public override IEnumerable<Type> Subscriptions => [typeof(EchoFinished)];
}
