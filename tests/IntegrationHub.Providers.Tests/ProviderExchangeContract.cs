using IntegrationHub.Adapters.AsyncProvider.Simulator;
using IntegrationHub.Contracts.Providers.Commands;
using IntegrationHub.Contracts.Requests.Events;
using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Bus;
using IntegrationHub.Providers.Exchanges;
using IntegrationHub.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Rebus.Config;

namespace IntegrationHub.Providers.Tests;

/// <summary>
/// The conversation with a provider, from ForwardRequest to the event that ends it, on every infrastructure the hub
/// supports. The provider is the simulator over real HTTP; its callbacks arrive as the callback API sends them
/// (RecordProviderCallback), the API itself is covered by <see cref="CallbackApiTests"/>.
/// </summary>
public abstract class ProviderExchangeContract<TInfrastructure>(TInfrastructure infrastructure)
    : IClassFixture<TInfrastructure>, IAsyncLifetime
    where TInfrastructure : class, IHubInfrastructure
{
    const string Tenant = "dept-health";
    readonly MessageRecorder _events = new();
    readonly string _observer = Names.UniqueEndpoint("Observer");
    readonly ProvidersEndpoint _providers = new();
    readonly AsyncProviderSimulator _simulator = AsyncProviderSimulator.Start();
    readonly string _secret = Guid.NewGuid().ToString("N");
    HubTestHost _host = null!;

    public async Task InitializeAsync()
    {
        var settings = infrastructure.Settings();
        settings["Hub:PublicBaseUrl"] = "https://hub.example/";
        settings["Hub:MaxParallelism"] = "1";
        settings["Hub:Retries:ImmediateAttempts"] = "2";
        settings["Hub:Retries:Delays:0"] = "00:00:00.200";
        settings["Hub:Retries:Delays:1"] = "00:00:00.200";
        foreach (var (name, answerTimeout) in new[] { ("sim", "00:00:30"), ("quick", "00:00:02") })
        {
            settings[$"Hub:Providers:Systems:{name}:BaseUrl"] = _simulator.BaseUrl.ToString();
            settings[$"Hub:Providers:Systems:{name}:AnswerTimeout"] = answerTimeout;
            settings[$"Hub:Providers:Systems:{name}:CallTimeout"] = "00:00:02";
            settings[$"Hub:Providers:Systems:{name}:CallbackSecret"] = _secret;
            settings[$"Hub:Providers:Systems:{name}:Resilience:MaxAttempts"] = "2";
            settings[$"Hub:Providers:Systems:{name}:Resilience:RetryDelay"] = "00:00:00.010";
            settings[$"Hub:Providers:Systems:{name}:Resilience:BreakerMinimumThroughput"] = "1000";
        }

        var observer = new TestEndpoint(_observer, e => e
                .Recording<RequestProgressed>(_events)
                .Recording<RequestCompleted>(_events)
                .Recording<RequestFailed>(_events)
                .Recording<RequestTimedOut>(_events),
            typeof(RequestProgressed), typeof(RequestCompleted), typeof(RequestFailed), typeof(RequestTimedOut));
        _host = await HubTestHost.Start(settings, _providers, observer);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _simulator.Dispose();
        await infrastructure.CleanUp(_providers.QueueName, HubEndpoint.QueueNameOf(_observer));
    }

    IProviderExchangeStore Store => _host.Services.GetRequiredService<IProviderExchangeStore>();

    async Task<string> Forward(string provider = "sim", string payload = """{"citizen":"anonymous"}""")
    {
        var requestId = Guid.NewGuid().ToString();
        await _host.Bus(_observer).Advanced.Routing.Send(_providers.QueueName,
            new ForwardRequest(requestId, Tenant, "birth-certificate", provider, payload, DateTimeOffset.UtcNow),
            new Dictionary<string, string> { [HubHeaders.Tenant] = Tenant, [Rebus.Messages.Headers.CorrelationId] = requestId });
        return requestId;
    }

    Task Callback(string requestId, string status, string? result = null, string? error = null, string? callbackId = null, string provider = "sim") =>
        _host.Bus(_observer).Advanced.Routing.Send(_providers.QueueName,
            new RecordProviderCallback(callbackId ?? Guid.NewGuid().ToString(), provider, requestId, status, result, error, DateTimeOffset.UtcNow));

    Task Accepted(string requestId) =>
        _events.WaitFor<RequestProgressed>(e => e.RequestId == requestId && e.Step == "provider accepted");

    [Fact]
    public async Task Accepted_request_completes_with_the_providers_result()
    {
        var requestId = await Forward(payload: """{"citizen":"A-1"}""");
        await Accepted(requestId);
        Assert.Equal("""{"citizen":"A-1"}""", _simulator.Received.Single(r => r.CorrelationId == requestId).Payload);

        await Callback(requestId, "completed", result: """{"certificate":"C-9"}""");

        var completed = (RequestCompleted)(await _events.WaitFor<RequestCompleted>(e => e.RequestId == requestId)).Message;
        Assert.Equal("""{"certificate":"C-9"}""", completed.Result);
        Assert.Equal(Tenant, completed.Tenant);
    }

    [Fact]
    public async Task Timeline_shows_forwarding_then_acceptance_with_the_tenant()
    {
        var requestId = await Forward();

        await Accepted(requestId);

        var steps = _events.OfType<RequestProgressed>().Where(e => e.RequestId == requestId).ToList();
        Assert.Equal(["forwarding to provider", "provider accepted"], steps.Select(s => s.Step));
        Assert.All(steps, s => Assert.Equal(Tenant, s.Tenant));
        var received = await _events.WaitFor<RequestProgressed>(e => e.RequestId == requestId);
        Assert.Equal(Tenant, received.Headers[HubHeaders.Tenant]);
    }

    [Fact]
    public async Task Failed_answer_fails_the_request_with_the_providers_error()
    {
        var requestId = await Forward();
        await Accepted(requestId);

        await Callback(requestId, "failed", error: "no record for this citizen");

        var failed = (RequestFailed)(await _events.WaitFor<RequestFailed>(e => e.RequestId == requestId)).Message;
        Assert.Equal("no record for this citizen", failed.Error);
        Assert.Equal(Tenant, failed.Tenant);
    }

    [Fact]
    public async Task Refused_request_fails_with_the_providers_reason()
    {
        _simulator.Refusing(422, "service not offered here");

        var requestId = await Forward();

        var failed = (RequestFailed)(await _events.WaitFor<RequestFailed>(e => e.RequestId == requestId)).Message;
        Assert.Contains("refused", failed.Error);
        Assert.Contains("service not offered here", failed.Error);
        Assert.Equal(1, _simulator.Calls);
    }

    [Fact]
    public async Task Unknown_provider_fails_the_request_at_once()
    {
        var requestId = await Forward(provider: "nobody");

        var failed = (RequestFailed)(await _events.WaitFor<RequestFailed>(e => e.RequestId == requestId)).Message;
        Assert.Contains("nobody", failed.Error);
    }

    [Fact]
    public async Task Provider_down_through_every_retry_fails_the_request()
    {
        _simulator.Down();

        var requestId = await Forward(provider: "quick");

        var failed = (RequestFailed)(await _events.WaitFor<RequestFailed>(e => e.RequestId == requestId)).Message;
        Assert.Contains("never accepted", failed.Error);
        // 2 attempts per call, 2 immediate deliveries, then delayed retries: the bus kept trying.
        Assert.True(_simulator.Calls > 4, $"the provider was called {_simulator.Calls} times");
        Assert.DoesNotContain(_events.OfType<RequestTimedOut>(), e => e.RequestId == requestId);
    }

    [Fact]
    public async Task Provider_recovering_during_retries_gets_the_request()
    {
        _simulator.Failing(5);

        var requestId = await Forward();

        await Accepted(requestId);
        Assert.Single(_simulator.Received, r => r.CorrelationId == requestId);
    }

    [Fact]
    public async Task Provider_that_never_answers_times_the_request_out()
    {
        var requestId = await Forward(provider: "quick");
        await Accepted(requestId);

        var timedOut = (RequestTimedOut)(await _events.WaitFor<RequestTimedOut>(e => e.RequestId == requestId)).Message;
        Assert.Equal(Tenant, timedOut.Tenant);
    }

    [Fact]
    public async Task Duplicate_callback_changes_nothing()
    {
        var requestId = await Forward();
        await Accepted(requestId);
        await Callback(requestId, "completed", result: "1", callbackId: "delivery-1");
        await _events.WaitFor<RequestCompleted>(e => e.RequestId == requestId);

        await Callback(requestId, "completed", result: "1", callbackId: "delivery-1");
        await Callback(requestId, "failed", error: "changed my mind", callbackId: "delivery-2");
        await ProcessedEverythingSentSoFar();

        Assert.Single(_events.OfType<RequestCompleted>(), e => e.RequestId == requestId);
        Assert.DoesNotContain(_events.OfType<RequestFailed>(), e => e.RequestId == requestId);
        Assert.DoesNotContain(await Store.ListUnmatched(), c => c.CorrelationId == requestId);
    }

    [Fact]
    public async Task Callback_matching_no_request_is_kept_and_listed_once()
    {
        var unknown = Guid.NewGuid().ToString();

        await Callback(unknown, "completed", result: "{}", callbackId: "stray-1");
        await Callback(unknown, "completed", result: "{}", callbackId: "stray-1");

        await Eventually.Until(async () => (await Store.ListUnmatched()).Any(c => c.CorrelationId == unknown),
            TimeSpan.FromSeconds(30), "the stray callback is listed");
        await ProcessedEverythingSentSoFar();
        var kept = Assert.Single(await Store.ListUnmatched(), c => c.CorrelationId == unknown);
        Assert.Equal(("sim", "completed", "no such request"), (kept.Provider, kept.Status, kept.Reason));
        Assert.DoesNotContain(_events.OfType<RequestCompleted>(), e => e.RequestId == unknown);
    }

    [Fact]
    public async Task Answer_arriving_after_the_timeout_is_kept_as_late()
    {
        var requestId = await Forward(provider: "quick");
        await _events.WaitFor<RequestTimedOut>(e => e.RequestId == requestId);

        await Callback(requestId, "completed", result: "{}", provider: "quick");

        await Eventually.Until(async () => (await Store.ListUnmatched()).Any(c => c.CorrelationId == requestId),
            TimeSpan.FromSeconds(30), "the late answer is listed");
        Assert.StartsWith("late", (await Store.ListUnmatched()).Single(c => c.CorrelationId == requestId).Reason);
        await ProcessedEverythingSentSoFar();
        Assert.DoesNotContain(_events.OfType<RequestCompleted>(), e => e.RequestId == requestId);
    }

    [Fact]
    public async Task Callback_from_another_provider_does_not_touch_the_request()
    {
        var requestId = await Forward();
        await Accepted(requestId);

        await Callback(requestId, "completed", result: "{}", provider: "quick");
        await Eventually.Until(async () => (await Store.ListUnmatched()).Any(c => c.CorrelationId == requestId),
            TimeSpan.FromSeconds(30), "the misdirected callback is listed");
        await Callback(requestId, "completed", result: "\"genuine\"");

        var completed = (RequestCompleted)(await _events.WaitFor<RequestCompleted>(e => e.RequestId == requestId)).Message;
        Assert.Equal("\"genuine\"", completed.Result);
    }

    /// <summary>
    /// A request that ends later than everything sent before it (the endpoint handles one message at a time in
    /// this suite): once it ended, earlier messages have been handled.
    /// </summary>
    async Task ProcessedEverythingSentSoFar()
    {
        var marker = await Forward(provider: "nobody");
        await _events.WaitFor<RequestFailed>(e => e.RequestId == marker);
    }
}

public sealed class ProviderExchange_InMemory(InMemoryInfrastructure infrastructure)
    : ProviderExchangeContract<InMemoryInfrastructure>(infrastructure);

public sealed class ProviderExchange_RabbitMqPostgreSql(IsolatedDurableInfrastructure infrastructure)
    : ProviderExchangeContract<IsolatedDurableInfrastructure>(infrastructure);
