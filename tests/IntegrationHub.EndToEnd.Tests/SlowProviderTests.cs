using System.Net;
using System.Net.Http.Headers;
using System.Text;
using IntegrationHub.Adapters.AsyncProvider.Simulator;
using IntegrationHub.Hosting.Security;
using IntegrationHub.Testing;
using Microsoft.AspNetCore.Mvc.Testing;
using Npgsql;

namespace IntegrationHub.EndToEnd.Tests;

/// <summary>
/// The all-in-one host on RabbitMQ + PostgreSQL with a small connection pool, and a provider that takes every request
/// but does not answer: calls to it wait with no database connection held, so the gateway keeps accepting requests.
/// (When the provider call ran inside the handler's transaction, every waiting call held a pooled connection; with the
/// pool used up, the gateway could not store requests and answered 503.)
/// </summary>
public sealed class SlowProviderTests : IAsyncLifetime
{
    const int PoolSize = 10;
    const int HeldCalls = 2 * PoolSize;
    static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    readonly IsolatedDurableInfrastructure _infrastructure = new() { VirtualHostLabel = "slow-provider" };
    readonly AsyncProviderSimulator _provider = AsyncProviderSimulator.Start();
    readonly string _signingKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48));
    WebApplicationFactory<IntegrationHub.Host.Program> _factory = null!;
    HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        await _infrastructure.InitializeAsync();
        var settings = _infrastructure.Settings();
        // One small pool for the whole process, and a short wait for a connection: a starved gateway shows at once.
        settings["ConnectionStrings:Postgres"] = new NpgsqlConnectionStringBuilder(_infrastructure.PostgresConnectionString)
            { MaxPoolSize = PoolSize, Timeout = 3 }.ConnectionString;
        settings["Hub:Simulators:Enabled"] = "false";
        settings[HostSettings.DemoMllpPort] = "0"; // the demo's fixed port is for the README; tests run in parallel
        settings["Hub:PublicBaseUrl"] = "http://localhost";
        settings["Hub:Auth:DevSigningKey"] = _signingKey;
        settings["Hub:Departments:health:RequestsPerMinute"] = "1000";
        settings["Hub:Gateway:Services:birth-certificate:Provider"] = "slow";
        settings["Hub:Providers:Systems:slow:BaseUrl"] = _provider.BaseUrl.ToString();
        settings["Hub:Providers:Systems:slow:CallTimeout"] = "00:02:00";
        settings["Hub:Providers:Systems:slow:CallbackSecret"] = "not-used-here";
        settings["Hub:Endpoints:Providers:MaxParallelism"] = (HeldCalls + 4).ToString(System.Globalization.CultureInfo.InvariantCulture);
        _factory = new WebApplicationFactory<IntegrationHub.Host.Program>().WithWebHostBuilder(web =>
        {
            foreach (var (key, value) in settings)
                web.UseSetting(key, value);
        });
        _http = _factory.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _provider.Release();
        try
        {
            await _factory.DisposeAsync();
        }
        catch (ObjectDisposedException)
        {
            // the factory and Program's app.Run() both stop the host
        }
        _provider.Dispose();
        await _infrastructure.DisposeAsync();
    }

    [Fact]
    public async Task Slow_provider_does_not_starve_the_gateway_of_database_connections()
    {
        _provider.Holding();
        for (var i = 0; i < HeldCalls; i++)
            Assert.Equal(HttpStatusCode.Accepted, await Submit($"held-{i}"));
        await Eventually.Until(() => _provider.Held == HeldCalls, Patience, $"{HeldCalls} provider calls waiting for the provider's answer");

        // Twice the pool's size of calls is waiting: requests are still stored and handed on, and nobody sits in a transaction.
        for (var i = 0; i < PoolSize; i++)
            Assert.Equal(HttpStatusCode.Accepted, await Submit($"meanwhile-{i}"));
        Assert.Equal(0, await PostgresServer.Scalar<long>(_infrastructure.PostgresConnectionString, """
            SELECT count(*) FROM pg_stat_activity
            WHERE datname = current_database() AND state = 'idle in transaction' AND now() - state_change > interval '2 seconds'
            """));
        Assert.True(_provider.Held >= HeldCalls, $"{_provider.Held} calls wait for the provider"); // (the later requests wait too)
    }

    async Task<HttpStatusCode> Submit(string marker)
    {
        using var post = new HttpRequestMessage(HttpMethod.Post, "/api/v1/requests")
        {
            Content = new StringContent($$"""{ "service": "birth-certificate", "payload": { "child": "{{marker}}" } }""", Encoding.UTF8, "application/json"),
        };
        post.Headers.Authorization = new AuthenticationHeaderValue("Bearer",
            DevTokens.Create(_signingKey, "health", ["requests:write"], TimeSpan.FromMinutes(10)));
        using var response = await _http.SendAsync(post);
        return response.StatusCode;
    }
}
