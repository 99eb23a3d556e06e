using IntegrationHub.Adapters;
using IntegrationHub.Adapters.AsyncProvider;
using IntegrationHub.Hosting.Outbound;
using IntegrationHub.Providers.Exchanges;
using IntegrationHub.Providers.Registry;
using Rebus.Bus;
using Rebus.Handlers;

namespace IntegrationHub.Providers;

/// <summary>
/// Calls the provider outside the saga, so that a slow provider holds no saga and its callback never races the call,
/// and through <see cref="OutboundCalls"/>, so that no database connection is held while the provider answers. A
/// provider that stays unavailable makes the handler throw: the bus retries later (delayed retries), and the saga's
/// answer timeout ends the request if it never gets through. A call for a request that has ended is not made; a call
/// made before the process died is not made again where the provider answers status queries.
/// </summary>
public sealed class CallProviderHandler(IBus bus, ProviderRegistry providers, AsyncProviderClients clients, IProviderExchangeStore store,
    OutboundCalls outbound, ILogger<CallProviderHandler> logger) : IHandleMessages<CallProvider>
{
    public async Task Handle(CallProvider message)
    {
        if (await store.HasFinished(message.RequestId))
        {
            logger.LogInformation("Request {RequestId} has ended; provider {Provider} is not called", message.RequestId, message.Provider);
            return;
        }
        if (!providers.TryGet(message.Provider, out var provider))
        {
            await bus.SendLocal(new ProviderRefused(message.RequestId, $"provider '{message.Provider}' is no longer configured"));
            return;
        }

        var client = clients.For(provider.Name, provider.Connection);
        var request = new ProviderRequest(message.RequestId, message.Service, message.Payload, providers.CallbackUrlFor(provider));
        ProviderSubmission submission;
        try
        {
            submission = await outbound.Make(new OutboundCall($"provider:{provider.Name}", message.RequestId),
                cancellationToken => client.Submit(request, cancellationToken),
                client.OffersStatusQuery ? cancellationToken => client.Status(message.RequestId, cancellationToken) : null,
                describe: s => s.ToString());
        }
        catch (ProviderUnavailableException exception) when (exception.Kind == ExternalFailure.Invalid)
        {
            await bus.SendLocal(new ProviderRefused(message.RequestId, exception.Message));
            return;
        }

        if (submission.Accepted)
        {
            await bus.SendLocal(new ProviderAccepted(message.RequestId, submission.StatusCode));
            return;
        }

        logger.LogInformation("Provider {Provider} refused request {RequestId} with HTTP {StatusCode}", provider.Name, message.RequestId, submission.StatusCode);
        await bus.SendLocal(new ProviderRefused(message.RequestId, submission.RefusalReason ?? $"HTTP {submission.StatusCode}"));
    }
}
