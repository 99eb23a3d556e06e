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

namespace IntegrationHub.Gateway.Tests;

/// <summary>
/// The Gateway's real Program with a dev key generated for this run, four departments, one service, and a stand-in
/// "Providers" endpoint that records the ForwardRequest commands and RequestAccepted events. <see cref="GatewayFixture"/>
/// runs it in memory; <see cref="DurableGatewayFixture"/> on RabbitMQ + PostgreSQL, in a virtual host and a database of
/// the fixture's own, so the production queue names (hub.gateway, hub.providers, hub.error) stay as they are.
/// </summary>
public class GatewayFixture : IAsyncLifetime
{
    public const string Health = "health";
    public const string Tax = "tax";
    public const string Limited = "limited";
    /// <summary>Only for the POST rate-limit test (2 per minute).</summary>
    public const string LimitedPosts = "limited-posts";
    /// <summary>Only for the burst test, so that its counts are exact.</summary>
    public const string Burst = "burst";
    public const string Service = "birth-certificate";
    public const string Provider = "civil-registry";
    public const int MaxRequestBytes = 4096;

    public GatewayFixture() : this(new InMemoryInfrastructure())
    {
    }

    protected GatewayFixture(IHubInfrastructure infrastructure) => Infrastructure = infrastructure;

    public IHubInfrastructure Infrastructure { get; }

    /// <summary>The fixture's database and RabbitMQ virtual host, on RabbitMQ + PostgreSQL; null in memory.</summary>
    public DurableInfrastructure? Durable => Infrastructure as DurableInfrastructure;

    public string SigningKey { get; } = NewKey();
    public MessageRecorder Recorder { get; } = new();
    public WebApplicationFactory<IntegrationHub.Gateway.Program> Factory { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;

    public static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));

    public virtual Dictionary<string, string?> Settings()
    {
        var settings = Infrastructure.Settings();
        settings["Hub:Auth:DevSigningKey"] = SigningKey;
        settings["Hub:Departments:health:RequestsPerMinute"] = "1000";
        settings["Hub:Departments:tax:RequestsPerMinute"] = "1000";
        settings["Hub:Departments:limited:RequestsPerMinute"] = "2";
        settings["Hub:Departments:limited-posts:RequestsPerMinute"] = "2";
        settings["Hub:Departments:burst:RequestsPerMinute"] = "1000";
        settings[$"Hub:Gateway:Services:{Service}:Provider"] = Provider;
        settings["Hub:Gateway:MaxRequestBytes"] = MaxRequestBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        // One message at a time: a test can publish events and know they are applied in that order.
        settings["Hub:Workers"] = "1";
        settings["Hub:MaxParallelism"] = "1";
        return settings;
    }

    public async Task InitializeAsync()
    {
        await Infrastructure.InitializeAsync();
        await Start([]);
    }

    /// <summary>Starts the gateway with <paramref name="overrides"/> on top of the default settings.</summary>
    public Task Start(Dictionary<string, string?> overrides)
    {
        var settings = Settings();
        foreach (var (key, value) in overrides)
            settings[key] = value;
        Factory = new WebApplicationFactory<IntegrationHub.Gateway.Program>().WithWebHostBuilder(web =>
        {
            web.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(settings));
            web.ConfigureServices(services => services.AddHubEndpoint(new TestEndpoint("Providers", e => e
                .Recording<ForwardRequest>(Recorder)
                .Recording<RequestAccepted>(Recorder), typeof(RequestAccepted))));
        });
        Http = Factory.CreateClient();
        return Task.CompletedTask;
    }

    /// <summary>Stops the gateway, then removes what the infrastructure created (database, virtual host).</summary>
    public async Task DisposeAsync()
    {
        try
        {
            if (Factory is not null) await Factory.DisposeAsync();
        }
        finally
        {
            await Infrastructure.DisposeAsync();
        }
    }

    /// <summary>The bus of the stand-in Providers endpoint, to publish what a provider conversation would.</summary>
    public IBus ProvidersBus => Factory.Services.GetRequiredService<HubBusRegistry>().Get("Providers");

    /// <summary>Scalar query on the fixture's database (RabbitMQ + PostgreSQL only).</summary>
    public Task<T?> Query<T>(string sql) => PostgresServer.Scalar<T>(
        (Durable ?? throw new InvalidOperationException("The in-memory gateway has no database")).PostgresConnectionString, sql);

    /// <summary>
    /// Returns once everything the gateway sent so far has reached the stand-in Providers endpoint: on PostgreSQL the
    /// outbox is empty first (nothing left to send), then a marker request submitted after all of it arrives. The
    /// stand-in handles one message at a time, in order, so whatever was sent earlier has been recorded by then.
    /// </summary>

    public async Task SentMessagesArrived()
    {
        if (Durable is { } durable)
            await Eventually.Until(async () => await PostgresServer.Scalar<long>(durable.PostgresConnectionString,
                "SELECT count(*) FROM hub.outbox") == 0, TimeSpan.FromSeconds(30), "the outbox sent everything");
        var marker = await Submit(Tax, "marker-" + Guid.NewGuid().ToString("N"));
        await Recorder.WaitFor<RequestAccepted>(a => a.RequestId == marker);
    }

    public string Token(string department, params string[] scopes) =>
        DevTokens.Create(SigningKey, department, scopes.Length > 0 ? scopes : [GatewayScopes.Write.Name, GatewayScopes.Read.Name], TimeSpan.FromMinutes(10));

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

    /// <summary>Now, to the microsecond: what PostgreSQL keeps of a timestamp (a test compares what it sent with what it reads).</summary>
    public static DateTimeOffset Now()
    {
        var now = DateTimeOffset.UtcNow;
        return now.AddTicks(-(now.Ticks % (TimeSpan.TicksPerMillisecond / 1000)));
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

/// <summary>
/// The gateway on RabbitMQ + PostgreSQL: a RabbitMQ virtual host (hub-test/gateway-&lt;guid8&gt;) and a database of the
/// fixture's own, created before the gateway starts and deleted after it stopped.
/// </summary>
public sealed class DurableGatewayFixture() : GatewayFixture(new IsolatedDurableInfrastructure { VirtualHostLabel = "gateway" })
{
    public override Dictionary<string, string?> Settings()
    {
        var settings = base.Settings();
        // The PostgreSQL server is shared with other fixtures running at the same time (and with other users):
        // a burst of concurrent requests waits for one of these connections instead of opening up to 100.
        settings["ConnectionStrings:Postgres"] = new Npgsql.NpgsqlConnectionStringBuilder(Durable!.PostgresConnectionString) { MaxPoolSize = 30 }.ConnectionString;
        // The stand-in provider records every delivery as it comes off the broker: no inbox that would hide a
        // duplicate, and no transaction per message (one at a time, a transaction each, 400 messages take ~40 s).
        settings["Hub:Endpoints:Providers:Persistence"] = "InMemory";
        return settings;
    }
}

public sealed record AcceptedBody(string RequestId, string Status, string StatusUrl);

public sealed record TimelineBody(DateTimeOffset At, string Step, string? Detail);

public sealed record StatusBody(string RequestId, string Service, string Status, DateTimeOffset AcceptedAt, DateTimeOffset UpdatedAt,
    System.Text.Json.JsonElement? Result, string? Error, List<TimelineBody> Timeline);
