using IntegrationHub.Adapters.AsyncProvider.Simulator;
using IntegrationHub.Contracts.Providers.Commands;
using IntegrationHub.Contracts.Requests.Events;
using IntegrationHub.Hosting.Bus;
using IntegrationHub.Testing;
using Xunit.Abstractions;

namespace IntegrationHub.EndToEnd.Tests;

/// <summary>
/// The outbound-call pattern under <c>kill -9</c>: the Providers endpoint (its own process, RabbitMQ + PostgreSQL) has
/// sent a request to the provider, which received it but whose answer never reaches the hub, because the process is
/// killed between the call and the record of its outcome. The restarted endpoint gets the message again, sees the
/// attempt it recorded before the call, and asks the provider for the request's status instead of sending it twice.
/// </summary>
public sealed class OutboundCallKillTests(ITestOutputHelper output) : IAsyncLifetime
{
    static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    readonly IsolatedDurableInfrastructure _infrastructure = new() { VirtualHostLabel = "outbound-kill" };
    readonly AsyncProviderSimulator _provider = AsyncProviderSimulator.Start();
    readonly MessageRecorder _events = new();
    readonly string _secret = Guid.NewGuid().ToString("N");

    public Task InitializeAsync() => _infrastructure.InitializeAsync();

    public async Task DisposeAsync()
    {
        _provider.Dispose();
        await _infrastructure.DisposeAsync();
    }

    Dictionary<string, string> Environment()
    {
        var environment = _infrastructure.Settings().ToDictionary(s => s.Key.Replace(":", "__", StringComparison.Ordinal), s => s.Value!);
        environment["Chaos__Endpoint"] = "Providers";
        environment["Hub__PublicBaseUrl"] = "https://hub.example/";
        environment["Hub__Providers__Systems__sim__BaseUrl"] = _provider.BaseUrl.ToString();
        environment["Hub__Providers__Systems__sim__StatusQuery"] = "true";
        environment["Hub__Providers__Systems__sim__CallbackSecret"] = _secret;
        environment["Hub__Providers__Systems__sim__CallTimeout"] = "00:02:00"; // the held call must outlive the kill, not time out
        environment["DOTNET_ENVIRONMENT"] = "Production";
        return environment;
    }

    [Fact]
    public async Task Call_cut_off_before_its_outcome_was_recorded_is_asked_about_not_sent_again()
    {
        await using var observer = await HubTestHost.Start(_infrastructure.Settings(), new TestEndpoint("Observer", e => e
            .Recording<RequestProgressed>(_events), typeof(RequestProgressed)));
        var requestId = "req_" + Guid.NewGuid().ToString("N");
        _provider.Holding();

        using (var first = ChaosEndpointProcess.Start("providers-1", Environment()))
        {
            try
            {
                await first.WaitUntilReady(Patience);
                await observer.Bus("Observer").Advanced.Routing.Send("hub.providers",
                    new ForwardRequest(requestId, "health", "birth-certificate", "sim", """{"child":"C-1"}""", DateTimeOffset.UtcNow),
                    new Dictionary<string, string> { [HubHeaders.Tenant] = "health" });
                await Eventually.Until(() => _provider.Held == 1, Patience, "the provider received the call and holds its answer");
                await first.KillHard(Patience);
            }
            finally
            {
                foreach (var line in first.Output.TakeLast(40)) output.WriteLine(line);
            }
        }
        _provider.Release(); // the answer goes to a dead connection

        Assert.Equal(1, await PostgresServer.Scalar<long>(_infrastructure.PostgresConnectionString,
            $"SELECT count(*) FROM hub.outbound_calls WHERE call_key = '{requestId}' AND state = 'calling' AND attempts = 1"));

        using var second = ChaosEndpointProcess.Start("providers-2", Environment());
        try
        {
            await second.WaitUntilReady(Patience);
            await _events.WaitFor<RequestProgressed>(e => e.RequestId == requestId && e.Step == "provider accepted", Patience);
        }
        finally
        {
            foreach (var line in second.Output.TakeLast(40)) output.WriteLine(line);
        }

        Assert.Equal(1, _provider.Received.Count(r => r.CorrelationId == requestId)); // sent once, before the kill
        Assert.Equal(1, _provider.StatusQueries);
        Assert.Equal(1, await PostgresServer.Scalar<long>(_infrastructure.PostgresConnectionString,
            $"SELECT count(*) FROM hub.outbound_calls WHERE call_key = '{requestId}' AND state = 'done' AND attempts = 2"));
    }
}
