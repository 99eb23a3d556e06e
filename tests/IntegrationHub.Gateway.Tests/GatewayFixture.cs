using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using IntegrationHub.Contracts.Providers.Commands;
using IntegrationHub.Contracts.Requests.Events;
using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Security;
using IntegrationHub.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Rebus.Bus;
using Rebus.Config;

namespace IntegrationHub.Gateway.Tests;

/// <summary>
/// The Gateway's real Program, in memory, with a dev key generated for this run, three departments, one service,
/// and a stand-in "Providers" endpoint that records the ForwardRequest commands and RequestAccepted events.
/// </summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    public const string Health = "health";
    public const string Tax = "tax";
    public const string Limited = "limited";
    public const string Service = "birth-certificate";
    public const string Provider = "civil-registry";
    public const int MaxRequestBytes = 4096;

    public string SigningKey { get; } = NewKey();
    public MessageRecorder Recorder { get; } = new();
    public WebApplicationFactory<IntegrationHub.Gateway.Program> Factory { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;

    public static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));

    public Dictionary<string, string?> Settings() => new()
    {
        ["Hub:Auth:DevSigningKey"] = SigningKey,
        ["Hub:Departments:health:RequestsPerMinute"] = "1000",
        ["Hub:Departments:tax:RequestsPerMinute"] = "1000",
        ["Hub:Departments:limited:RequestsPerMinute"] = "2",
        [$"Hub:Services:{Service}:Provider"] = Provider,
        ["Hub:Gateway:MaxRequestBytes"] = MaxRequestBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        // One message at a time: a test can publish events and know they are applied in that order.
        ["Hub:Workers"] = "1",
        ["Hub:MaxParallelism"] = "1",
    };

    public Task InitializeAsync() => Start([]);

    /// <summary>Starts the gateway with <paramref name="overrides"/> on top of the default settings.</summary>
    public Task Start(Dictionary<string, string?> overrides)
    {
        var settings = Settings();
        foreach (var (key, value) in overrides)
            settings[key] = value;
        Factory = new WebApplicationFactory<IntegrationHub.Gateway.Program>().WithWebHostBuilder(web =>
        {
            web.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(settings));
            web.ConfigureServices(services => services.AddHubEndpoint(new TestEndpoint("Providers", s => s
                .AddSingleton(Recorder)
                .AddRebusHandler<RecordingHandler<ForwardRequest>>()
                .AddRebusHandler<RecordingHandler<RequestAccepted>>(), typeof(RequestAccepted))));
        });
        Http = Factory.CreateClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Factory.DisposeAsync();

    /// <summary>The bus of the stand-in Providers endpoint, to publish what a provider conversation would.</summary>
    public IBus ProvidersBus => Factory.Services.GetRequiredService<HubBusRegistry>().Get("Providers");

    public string Token(string department, params string[] scopes) =>
        DevTokens.Create(SigningKey, department, scopes.Length > 0 ? scopes : [HubScopes.RequestsWrite, HubScopes.RequestsRead], TimeSpan.FromMinutes(10));

    public Task<HttpResponseMessage> Post(string? token, string body, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/requests") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        return Http.SendAsync(request);
    }

    public Task<HttpResponseMessage> Get(string? token, string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return Http.SendAsync(request);
    }

    public static string Body(string marker, string service = Service) =>
        $$"""{ "service": "{{service}}", "payload": { "child": "test-{{marker}}", "district": 7 } }""";

    /// <summary>Submits a request for <paramref name="department"/> and returns its id.</summary>
    public async Task<string> Submit(string department, string marker)
    {
        var response = await Post(Token(department), Body(marker));
        response.EnsureSuccessStatusCode();
        var accepted = await response.Content.ReadFromJsonAsync<AcceptedBody>();
        return accepted!.RequestId;
    }
}

public sealed record AcceptedBody(string RequestId, string Status, string StatusUrl);

public sealed record TimelineBody(DateTimeOffset At, string Step, string? Detail);

public sealed record StatusBody(string RequestId, string Service, string Status, DateTimeOffset AcceptedAt, DateTimeOffset UpdatedAt,
    System.Text.Json.JsonElement? Result, string? Error, List<TimelineBody> Timeline);
