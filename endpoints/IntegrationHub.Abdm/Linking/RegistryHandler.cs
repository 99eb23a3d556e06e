using IntegrationHub.Adapters.Abdm.Registry;
using IntegrationHub.Hosting.Outbound;
using Rebus.Bus;
using Rebus.Handlers;

namespace IntegrationHub.Abdm.Linking;

/// <summary>
/// Searches the HIP's department registry for a discovery (an external call: no transaction held while the registry
/// answers) and always answers the flow: found, not found (or more than one, which ABDM must never be told is a match),
/// or the registry failing. A failing registry is not retried here: ABDM expects on-discover within seconds, and the
/// patient can search again.
/// </summary>
internal sealed class RegistryHandler(IBus bus, PatientRegistries registries, OutboundCalls calls, AbdmOptions options, ILogger<RegistryHandler> logger)
    : IHandleMessages<FindPatient>
{
    public async Task Handle(FindPatient message)
    {
        PatientLookedUp answer;
        // No search outlives the discovery it serves: after DiscoveryTimeout the saga has answered ABDM already.
        using var deadline = new CancellationTokenSource(options.DiscoveryTimeout);
        try
        {
            var registry = registries.Of(message.HipId);
            var match = await calls.Make(new OutboundCall($"abdm-registry:{message.HipId}", "discover:" + message.TransactionId),
                async ct => (await registry.Find(message.Patient, ct)) switch
                {
                    PatientMatch.Found found => new PatientLookedUp(message.TransactionId, found.Patient, false, false),
                    PatientMatch.NotFound notFound => new PatientLookedUp(message.TransactionId, null, notFound.Reason == PatientMatching.MoreThanOnePatientMatches, false),
                    var other => throw new InvalidOperationException($"Unknown match {other.GetType().Name}"),
                },
                describe: a => a.Patient is null ? (a.Ambiguous ? "ambiguous" : "no match") : "found", cancellationToken: deadline.Token);
            answer = match;
        }
        catch (Exception exception) when (exception is HttpRequestException or OperationCanceledException or TimeoutException)
        {
            logger.LogWarning("ABDM discovery {TransactionId}: HIP {HipId}'s registry failed: {Reason}", message.TransactionId, message.HipId, exception.Message);
            answer = new PatientLookedUp(message.TransactionId, null, false, true);
        }
        await bus.Reply(answer);
    }
}
