using IntegrationHub.Adapters.AsyncProvider;
using IntegrationHub.Providers.Exchanges;
using IntegrationHub.Providers.Registry;
using Rebus.Bus;
using Rebus.Handlers;

namespace IntegrationHub.Providers;

/// <summary>
/// Calls the provider outside the saga, so that a slow provider holds no saga and its callback never races the call.
/// A provider that stays unavailable makes the handler throw: the bus retries later (delayed retries), and the saga's
/// answer timeout ends the request if it never gets through. A call for a request that has ended is not made.
/// </summary>
public sealed class CallProviderHandler(IBus bus, ProviderRegistry providers, ProviderClients clients, IProviderExchangeStore store,
    ILogger<CallProviderHandler> logger) : IHandleMessages<CallProvider>
{
    public async Task Handle(CallProvider message)
    {
        if (await store.FindFinished(message.RequestId) is not null)
        {
            logger.LogInformation("Request {RequestId} has ended; provider {Provider} is not called", message.RequestId, message.Provider);
            return;
        }
        if (!providers.TryGet(message.Provider, out var provider))
        {
            await bus.SendLocal(new ProviderRefused(message.RequestId, $"provider '{message.Provider}' is no longer configured"));
            return;
        }

        ProviderSubmission submission;
        try
        {
            submission = await clients.For(provider).Submit(
                new ProviderRequest(message.RequestId, message.Service, message.Payload, providers.CallbackUrlFor(provider)));
        }
        catch (ArgumentException exception)
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
