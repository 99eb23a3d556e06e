using IntegrationHub.Adapters.AsyncProvider;
using IntegrationHub.Adapters.AsyncProvider.Simulator;
using IntegrationHub.Testing.Adapters;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.Providers.Tests;

/// <summary>The adapter contract, for the asynchronous-provider adapter against its simulator over real HTTP.</summary>
public sealed class AsyncProviderAdapterContract : ExternalAdapterContract
{
    readonly SimulatorControl _simulator = new(AsyncProviderSimulator.Start());

    protected override IAdapterSimulator Simulator => _simulator;

    protected override IAdapterUnderTest CreateAdapter(AdapterResilience resilience, ILoggerFactory logs) =>
        new Adapter(new AsyncProviderClient("sim", new AsyncProviderOptions
        {
            BaseUrl = _simulator.Provider.BaseUrl,
            CallTimeout = resilience.CallTimeout,
            Resilience = new AsyncProviderResilienceOptions
            {
                MaxAttempts = resilience.MaxAttempts,
                RetryDelay = TimeSpan.FromMilliseconds(10),
                BreakerMinimumThroughput = resilience.BreakerMinimumThroughput,
                BreakerBreakDuration = resilience.BreakerBreakDuration,
            },
        }, logger: logs.CreateLogger<AsyncProviderClient>()));

    public override void Dispose()
    {
        base.Dispose();
        _simulator.Provider.Dispose();
    }

    sealed class Adapter(AsyncProviderClient client) : IAdapterUnderTest
    {
        static readonly Uri CallbackUrl = new("https://hub.example/api/v1/providers/sim/responses");

        public async Task<CallOutcome> Call(string idempotencyKey, string personalData, CancellationToken cancellationToken = default) =>
            Outcome(await client.Submit(new ProviderRequest(idempotencyKey, "birth-certificate",
                System.Text.Json.JsonSerializer.Serialize(new { citizen = personalData }), CallbackUrl), cancellationToken));

        public async Task<CallOutcome> CallWithInvalidInput(CancellationToken cancellationToken = default) =>
            Outcome(await client.Submit(new ProviderRequest("key-invalid", "birth-certificate", "{ not json", CallbackUrl), cancellationToken));

        static CallOutcome Outcome(ProviderSubmission submission) => submission.Accepted ? CallOutcome.Succeeded : CallOutcome.Refused;

        public void Dispose() => client.Dispose();
    }

    sealed class SimulatorControl(AsyncProviderSimulator provider) : IAdapterSimulator
    {
        public AsyncProviderSimulator Provider => provider;

        public void Accepts() => provider.Accepting();

        public void Answers(int status)
        {
            provider.Accepting();
            if (status >= 500) provider.Failing(int.MaxValue, status);
            else provider.Refusing(status, "refused by the simulated provider");
        }

        public void FailsNext(int times, int status) => provider.Accepting().Failing(times, status);

        public void Hangs() => provider.Accepting().Holding();

        public int Calls => provider.Calls;

        public IReadOnlyList<string?> IdempotencyKeys =>
            provider.Received.Select(r => r.Headers.TryGetValue(AsyncProviderClient.IdempotencyKeyHeader, out var key) ? key : null).ToList();

        public IReadOnlyList<string?> IdempotencyKeysOfEveryCall => provider.IdempotencyKeysOfEveryCall;
    }
}
