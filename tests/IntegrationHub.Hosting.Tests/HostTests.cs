using IntegrationHub.Testing;
using System.Net;
using System.Text.Json;
using IntegrationHub.Contracts.Sample.Commands;
using IntegrationHub.Contracts.Sample.Replies;
using IntegrationHub.Hosting.Observability;
using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Security;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Rebus.Config;

namespace IntegrationHub.Hosting.Tests;

/// <summary>The all-in-one host's real Program, booted in its embedded default (no infrastructure).</summary>
public sealed class HostTests : IAsyncLifetime
{
    readonly MessageRecorder _recorder = new();
    readonly string _client = Names.UniqueEndpoint("Client");
    readonly WebApplicationFactory<IntegrationHub.Host.Program> _root = new();
    WebApplicationFactory<IntegrationHub.Host.Program> _factory = null!;

    public Task InitializeAsync()
    {
        _factory = _root.WithWebHostBuilder(web => web
            .UseSetting(HostSettings.DemoMllpPort, "0") // the demo's fixed port is for the README; tests run in parallel
            .ConfigureServices(services => services.AddHubEndpoint(new TestEndpoint(_client, e => e.Recording<EchoResult>(_recorder)))));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        await _root.DisposeAsync();
    }

    [Fact]
    public async Task Ready_when_every_endpoint_runs_and_says_what_it_checked_to_operators_only()
    {
        var key = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48));
        await using var factory = _factory.WithWebHostBuilder(web => web.UseSetting("Hub:Auth:DevSigningKey", key));
        var http = factory.CreateClient();

        var anonymous = await http.GetAsync("/health/ready");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health/ready");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", DevTokens.Create(key, "ops", [HubScopes.Ops], TimeSpan.FromMinutes(5)));
        var operators = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, anonymous.StatusCode);
        using var brief = JsonDocument.Parse(await anonymous.Content.ReadAsStringAsync());
        Assert.Equal("Healthy", brief.RootElement.GetProperty("status").GetString());
        Assert.All(brief.RootElement.GetProperty("checks").EnumerateObject(), check =>
        {
            Assert.Equal("Healthy", check.Value.GetProperty("status").GetString());
            Assert.False(check.Value.TryGetProperty("description", out _), $"{check.Name} shows what it found to anonymous callers");
        });
        using var full = JsonDocument.Parse(await operators.Content.ReadAsStringAsync());
        Assert.Contains("Sample", full.RootElement.GetProperty("checks").GetProperty("endpoints").GetProperty("description").GetString());
        Assert.Contains("in-memory", full.RootElement.GetProperty("checks").GetProperty("rabbitmq").GetProperty("description").GetString());
    }

    [Fact]
    public void Hubctl_serves_the_endpoints_the_all_in_one_host_runs()
    {
        var hosted = _root.Services.GetServices<HubEndpoint>().Select(e => e.Name).Order();

        Assert.Equal(hosted, IntegrationHub.Ctl.HubctlEndpoints.All.Select(e => e.Name).Order());
    }

    [Fact]
    public async Task Live_answers()
    {
        var response = await _factory.CreateClient().GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Sample_conversation_runs_in_the_embedded_host_and_shows_in_metrics()
    {
        var http = _factory.CreateClient();
        var registry = _factory.Services.GetRequiredService<HubBusRegistry>();
        var requestId = Guid.NewGuid().ToString();

        await registry.Get(_client).Send(new StartEcho(requestId, "metrics", TimeSpan.FromSeconds(30)));
        await _recorder.WaitFor<EchoResult>(r => r.RequestId == requestId);

        string metrics = "";
        await IntegrationHub.Testing.Eventually.Until(async () =>
        {
            metrics = await http.GetStringAsync("/metrics");
            return metrics.Contains("hub_messages_handled_total{", StringComparison.Ordinal) && metrics.Contains("message_type=\"StartEcho\"", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(30), "the handled StartEcho to be counted on /metrics");
        Assert.Contains("endpoint=\"Sample\"", metrics);
    }

    [Fact]
    public async Task Host_serves_the_webhook_deliveries_api_to_ops_tokens_only_and_documents_it()
    {
        var key = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48));
        await using var factory = _factory.WithWebHostBuilder(web => web.UseSetting("Hub:Auth:DevSigningKey", key));
        var http = factory.CreateClient();
        HttpRequestMessage List(params string[] scopes)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/webhooks/deliveries?status=dead");
            if (scopes.Length > 0)
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer",
                    DevTokens.Create(key, "demo", scopes, TimeSpan.FromMinutes(5)));
            return request;
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(List())).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.SendAsync(List("requests:read"))).StatusCode);
        var listed = await http.SendAsync(List(HubScopes.Ops));
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        using (var page = JsonDocument.Parse(await listed.Content.ReadAsStringAsync()))
            Assert.Equal(JsonValueKind.Array, page.RootElement.GetProperty("deliveries").ValueKind);

        using var document = JsonDocument.Parse(await http.GetStringAsync("/openapi/v1.json"));
        var paths = document.RootElement.GetProperty("paths");
        Assert.True(paths.GetProperty("/api/v1/webhooks/deliveries").TryGetProperty("get", out _));
        Assert.True(paths.GetProperty("/api/v1/webhooks/deliveries/{id}").TryGetProperty("get", out _));
        var replay = paths.GetProperty("/api/v1/webhooks/deliveries/{id}/replay").GetProperty("post");
        foreach (var status in new[] { "202", "401", "403", "404", "409" })
            Assert.True(replay.GetProperty("responses").TryGetProperty(status, out _), $"replay documents {status}");
    }

    [Fact]
    public async Task Unreachable_postgres_makes_readiness_fail_with_the_reason()
    {
        var options = Microsoft.Extensions.Options.Options.Create(new HubOptions
        {
            Persistence = HubPersistence.PostgreSql,
            PostgresConnectionString = "Host=127.0.0.1;Port=1;Username=hub;Password=secret;Database=hub",
        });

        var result = await new PostgresHealthCheck(options, new HealthLog(Microsoft.Extensions.Logging.Abstractions.NullLogger<HealthLog>.Instance))
            .CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains("127.0.0.1:1/hub", result.Description);
        Assert.DoesNotContain("secret", result.Description);
    }
}
