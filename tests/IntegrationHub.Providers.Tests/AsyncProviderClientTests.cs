using System.Text.Json;
using IntegrationHub.Adapters.AsyncProvider;
using IntegrationHub.Adapters.AsyncProvider.Simulator;

namespace IntegrationHub.Providers.Tests;

/// <summary>
/// What is particular to the asynchronous-provider adapter, against its simulator: what the provider receives, which
/// statuses are transient, OAuth2 tokens, refusal reasons. What every adapter does is in <see cref="AsyncProviderAdapterContract"/>.
/// </summary>
public sealed class AsyncProviderClientTests : IDisposable
{
    readonly AsyncProviderSimulator _provider = AsyncProviderSimulator.Start();
    static readonly Uri CallbackUrl = new("https://hub.example/api/v1/providers/sim/responses");

    AsyncProviderClient Client(Action<AsyncProviderOptions>? configure = null, TimeProvider? time = null)
    {
        var options = new AsyncProviderOptions
        {
            BaseUrl = _provider.BaseUrl,
            CallTimeout = TimeSpan.FromSeconds(5),
            Resilience = new AsyncProviderResilienceOptions { MaxAttempts = 3, RetryDelay = TimeSpan.FromMilliseconds(10) },
        };
        configure?.Invoke(options);
        return new AsyncProviderClient("sim", options, time);
    }

    static ProviderRequest Request(string id = "req-1") => new(id, "birth-certificate", """{"citizen":{"id":42}}""", CallbackUrl);

    [Fact]
    public async Task Accepted_request_reaches_the_provider_with_correlation_service_payload_and_callback_url()
    {
        using var client = Client();

        var submission = await client.Submit(Request("req-7"));

        Assert.True(submission.Accepted);
        Assert.Equal(202, submission.StatusCode);
        var received = Assert.Single(_provider.Received);
        Assert.Equal("req-7", received.CorrelationId);
        Assert.Equal("birth-certificate", received.Service);
        Assert.Equal(42, JsonDocument.Parse(received.Payload).RootElement.GetProperty("citizen").GetProperty("id").GetInt32());
        Assert.Equal(CallbackUrl, received.CallbackUrl);
    }

    [Fact]
    public async Task Refusal_returns_the_providers_reason_and_is_not_retried()
    {
        _provider.Refusing(422, "service not offered");
        using var client = Client();

        var submission = await client.Submit(Request());

        Assert.False(submission.Accepted);
        Assert.Equal(422, submission.StatusCode);
        Assert.Contains("service not offered", submission.RefusalReason);
        Assert.Equal(1, _provider.Calls);
    }

    [Theory]
    [InlineData(429)]
    [InlineData(408)]
    [InlineData(500)]
    public async Task Transient_statuses_are_retried(int status)
    {
        _provider.Failing(1, status);
        using var client = Client();

        Assert.True((await client.Submit(Request())).Accepted);
        Assert.Equal(2, _provider.Calls);
    }

    [Fact]
    public async Task Provider_failing_every_attempt_is_reported_unavailable_after_the_configured_attempts()
    {
        _provider.Down();
        using var client = Client();

        var exception = await Assert.ThrowsAsync<ProviderUnavailableException>(() => client.Submit(Request()));

        Assert.Contains("503", exception.Message);
        Assert.Equal(3, _provider.Calls);
    }

    [Fact]
    public async Task Unreachable_provider_is_reported_unavailable()
    {
        // Port 1 refuses connections; a freed ephemeral port could be taken by another test's simulator meanwhile.
        using var client = new AsyncProviderClient("gone", new AsyncProviderOptions
        {
            BaseUrl = new Uri("http://127.0.0.1:1"),
            Resilience = new AsyncProviderResilienceOptions { MaxAttempts = 2, RetryDelay = TimeSpan.FromMilliseconds(10) },
        });

        await Assert.ThrowsAsync<ProviderUnavailableException>(() => client.Submit(Request()));
    }

    [Fact]
    public async Task Api_key_is_sent_in_the_configured_header()
    {
        var key = Guid.NewGuid().ToString("N");
        using var client = Client(o => o.Auth = new AsyncProviderAuthOptions { Type = "ApiKey", Header = "X-Provider-Key", ApiKey = key });

        await client.Submit(Request());

        Assert.Equal(key, Assert.Single(_provider.Received).Headers["X-Provider-Key"]);
    }

    [Fact]
    public async Task OAuth2_token_is_fetched_once_and_reused()
    {
        _provider.RequiringOAuth2();
        using var client = Client(OAuth2);

        Assert.True((await client.Submit(Request("a"))).Accepted);
        Assert.True((await client.Submit(Request("b"))).Accepted);

        Assert.Equal(1, _provider.TokensIssued);
        Assert.All(_provider.Received, r => Assert.Equal("Bearer token-1", r.Headers["Authorization"]));
    }

    [Fact]
    public async Task OAuth2_token_is_fetched_again_once_it_expires()
    {
        _provider.RequiringOAuth2(tokenLifetimeSeconds: 600);
        var time = new ManualTime();
        using var client = Client(OAuth2, time);
        await client.Submit(Request("a"));

        time.Advance(TimeSpan.FromSeconds(600));
        await client.Submit(Request("b"));

        Assert.Equal(2, _provider.TokensIssued);
        Assert.Equal("Bearer token-2", _provider.Received.Single(r => r.CorrelationId == "b").Headers["Authorization"]);
    }

    [Fact]
    public async Task OAuth2_token_rejected_with_401_is_refreshed_once_and_the_call_succeeds()
    {
        _provider.RequiringOAuth2();
        using var client = Client(OAuth2);
        await client.Submit(Request("a"));
        _provider.RevokeTokens();

        var submission = await client.Submit(Request("b"));

        Assert.True(submission.Accepted);
        Assert.Equal(2, _provider.TokensIssued);
    }

    void OAuth2(AsyncProviderOptions options) => options.Auth = new AsyncProviderAuthOptions
    {
        Type = "OAuth2",
        TokenUrl = _provider.TokenUrl,
        ClientId = "hub",
        ClientSecret = Guid.NewGuid().ToString("N"),
        Scope = "requests",
    };

    public void Dispose() => _provider.Dispose();

    sealed class ManualTime : TimeProvider
    {
        DateTimeOffset _now = DateTimeOffset.UtcNow;
        public override DateTimeOffset GetUtcNow() => _now;
        public void Advance(TimeSpan by) => _now += by;
    }
}
