using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using IntegrationHub.Adapters.AsyncProvider.Simulator;
using IntegrationHub.Contracts.Webhooks.Commands;
using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Security;
using IntegrationHub.Testing;
using IntegrationHub.Webhooks.Delivery;
using IntegrationHub.Webhooks.Storage;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client.Exceptions;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;
using WireMock.Types;
using WireMock.Util;
using Xunit.Abstractions;

namespace IntegrationHub.EndToEnd.Tests;

/// <summary>
/// Issue 3, end to end: the all-in-one host (IntegrationHub.Host's real Program) on RabbitMQ and PostgreSQL; a
/// department posts a request, a WireMock provider (<see cref="AsyncProviderSimulator"/>) accepts it and answers later
/// through the hub's callback API, and the department's WireMock webhook receiver gets a signed callback — also
/// when the receiver is down for a while (retried) and down for good (dead-lettered, then replayed).
/// All tests share one host (one class: the endpoint queue names are fixed), each with a department of its own.
/// </summary>
public sealed class RequestToWebhookTests(RequestToWebhookHub hub, ITestOutputHelper output) : IClassFixture<RequestToWebhookHub>
{
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Department_request_is_answered_by_the_provider_and_called_back_with_a_verifiable_signature()
    {
        var stopwatch = Stopwatch.StartNew();
        const string department = RequestToWebhookHub.Prompt;

        var requestId = await hub.SubmitAndAnswer(department, """{"certificate":"BC-1"}""");

        // The department can follow it: completed, with the provider's result and a timeline.
        using var status = await hub.GetStatus(department, requestId);
        var root = status.RootElement;
        Assert.Equal(requestId, root.GetProperty("requestId").GetString());
        Assert.Equal(RequestToWebhookHub.Service, root.GetProperty("service").GetString());
        Assert.Equal("BC-1", root.GetProperty("result").GetProperty("certificate").GetString());
        var steps = root.GetProperty("timeline").EnumerateArray().Select(e => e.GetProperty("step").GetString()).ToList();
        Assert.Equal("accepted", steps[0]);
        Assert.Equal("completed", steps[^1]);
        Assert.Contains(steps, s => s!.Contains("provider", StringComparison.Ordinal));

        // The department's receiver got exactly one webhook, correctly signed, about this request.
        var deliveryId = WebhookPayload.DeliveryIdFor(requestId, "request.completed");
        var delivery = await hub.WaitForDelivery(deliveryId, WebhookStatus.Delivered);
        Assert.Equal(1, delivery.Attempts);
        var call = Assert.Single(hub.Receiver.CallsTo(department));
        Assert.Equal(200, call.AnsweredStatus);
        hub.AssertSignedWebhook(call, department, deliveryId, requestId);
        using var body = JsonDocument.Parse(call.Body);
        Assert.Equal("BC-1", body.RootElement.GetProperty("data").GetProperty("result").GetProperty("certificate").GetString());

        output.WriteLine($"request {requestId} → webhook {deliveryId} delivered in {stopwatch.Elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task Webhook_is_retried_until_the_receiver_comes_back()
    {
        var stopwatch = Stopwatch.StartNew();
        const string department = RequestToWebhookHub.Flaky;
        hub.Receiver.Answer(department, call => call <= 2 ? 503 : 200); // down for the first two calls

        var requestId = await hub.SubmitAndAnswer(department, """{"certificate":"BC-2"}""");
        var deliveryId = WebhookPayload.DeliveryIdFor(requestId, "request.completed");
        var delivery = await hub.WaitForDelivery(deliveryId, WebhookStatus.Delivered);

        Assert.Equal(3, delivery.Attempts);
        var calls = hub.Receiver.CallsTo(department);
        Assert.Equal([503, 503, 200], calls.Select(c => c.AnsweredStatus));
        foreach (var call in calls)
            hub.AssertSignedWebhook(call, department, deliveryId, requestId); // same Hub-Delivery-Id on every attempt
        Assert.Single(calls.Select(c => Convert.ToHexString(c.Body)).Distinct()); // the same body every time
        var attempts = await hub.Deliveries.Attempts(deliveryId);
        Assert.Equal([503, 503, 200], attempts.Select(a => a.StatusCode ?? 0));

        output.WriteLine($"webhook {deliveryId} delivered on attempt 3 in {stopwatch.Elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task Webhook_to_a_receiver_down_for_good_is_dead_lettered_then_replayed()
    {
        var stopwatch = Stopwatch.StartNew();
        const string department = RequestToWebhookHub.Outage;
        hub.Receiver.Answer(department, _ => 503); // down for good

        var requestId = await hub.SubmitAndAnswer(department, """{"certificate":"BC-3"}""");
        var deliveryId = WebhookPayload.DeliveryIdFor(requestId, "request.completed");
        var dead = await hub.WaitForDelivery(deliveryId, WebhookStatus.Dead);

        var scheduledAttempts = RequestToWebhookHub.RetrySchedule.Length + 1;
        Assert.Equal(scheduledAttempts, dead.Attempts);
        Assert.Equal(503, dead.LastStatusCode);
        Assert.Equal(scheduledAttempts, hub.Receiver.CallsTo(department).Count);
        output.WriteLine($"webhook {deliveryId} dead after {dead.Attempts} attempts at {stopwatch.Elapsed.TotalSeconds:0.0} s");

        // The receiver is fixed; an operator replays the dead delivery (what `hubctl webhooks replay <id>` sends).
        hub.Receiver.Answer(department, _ => 200);
        await hub.Bus("Webhooks").SendLocal(new ReplayWebhookDelivery(deliveryId));
        var replayed = await hub.WaitForDelivery(deliveryId, WebhookStatus.Delivered);

        Assert.Equal(scheduledAttempts + 1, replayed.Attempts);
        Assert.Equal(2, replayed.Round);
        Assert.Equal(dead.Payload, replayed.Payload);
        var calls = hub.Receiver.CallsTo(department);
        Assert.Equal(scheduledAttempts + 1, calls.Count);
        Assert.Equal(200, calls[^1].AnsweredStatus);
        foreach (var call in calls)
            hub.AssertSignedWebhook(call, department, deliveryId, requestId);

        output.WriteLine($"webhook {deliveryId} replayed and delivered at {stopwatch.Elapsed.TotalSeconds:0.0} s");
    }
}

/// <summary>
/// The hub of <see cref="RequestToWebhookTests"/>: a fresh PostgreSQL database, the endpoint queues purged, the
/// provider simulator, the departments' webhook receiver, and the host with a dev signing key of its own.
/// </summary>
public sealed class RequestToWebhookHub : IAsyncLifetime
{
    public const string Prompt = "prompt";
    public const string Flaky = "flaky";
    public const string Outage = "outage";
    public const string Service = "birth-certificate";
    public const string Provider = "civil-registry";
    public static readonly string[] RetrySchedule = ["00:00:00.5", "00:00:01", "00:00:01"];
    static readonly string[] Departments = [Prompt, Flaky, Outage];
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    // A virtual host of its own: the endpoint queue names are fixed, and nothing left in them by others reaches this hub.
    readonly IsolatedDurableInfrastructure _infrastructure = new();
    readonly string _signingKey = NewSecret();
    readonly string _callbackSecret = NewSecret();
    readonly Dictionary<string, string> _webhookSecrets = Departments.ToDictionary(d => d, _ => NewSecret());
    WebApplicationFactory<IntegrationHub.Host.Program> _factory = null!;
    HttpClient _http = null!;

    public WebhookReceiver Receiver { get; } = new();
    public AsyncProviderSimulator ProviderSimulator { get; private set; } = null!;
    public IWebhookDeliveryReader Deliveries => _factory.Services.GetRequiredService<IWebhookDeliveryReader>();

    static string NewSecret() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));

    public async Task InitializeAsync()
    {
        await _infrastructure.InitializeAsync();

        ProviderSimulator = AsyncProviderSimulator.Start(() => _factory.CreateClient());
        var settings = _infrastructure.Settings();
        settings["Hub:Simulators:Enabled"] = "false";
        settings["Hub:PublicBaseUrl"] = "http://localhost";
        settings["Hub:Auth:DevSigningKey"] = _signingKey;
        settings["Hub:Webhooks:AllowInsecureCallbacks"] = "true";
        for (var i = 0; i < RetrySchedule.Length; i++)
            settings[$"Hub:Webhooks:RetrySchedule:{i}"] = RetrySchedule[i];
        foreach (var department in Departments)
        {
            settings[$"Hub:Departments:{department}:RequestsPerMinute"] = "1000";
            settings[$"Hub:Webhooks:Departments:{department}:CallbackUrl"] = Receiver.UrlFor(department);
            settings[$"Hub:Webhooks:Departments:{department}:Secret"] = _webhookSecrets[department];
        }
        settings[$"Hub:Gateway:Services:{Service}:Provider"] = Provider;
        settings[$"Hub:Providers:Systems:{Provider}:BaseUrl"] = ProviderSimulator.BaseUrl.ToString();
        settings[$"Hub:Providers:Systems:{Provider}:Auth:Type"] = "None";
        settings[$"Hub:Providers:Systems:{Provider}:CallbackSecret"] = _callbackSecret;
        settings[$"Hub:Providers:Systems:{Provider}:AnswerTimeout"] = "00:02:00";

        settings[HostSettings.DemoMllpPort] = "0"; // the demo's fixed port is for the README; tests run in parallel
        // UseSetting (not ConfigureAppConfiguration): Program reads some settings before it builds the app.
        _factory = new WebApplicationFactory<IntegrationHub.Host.Program>().WithWebHostBuilder(web =>
        {
            foreach (var (key, value) in settings)
                web.UseSetting(key, value);
        });
        _http = _factory.CreateClient(); // starts the host
        if (_factory.Services.GetService<AsyncProviderSimulator>() is not null)
            throw new InvalidOperationException("The host's development simulators are on; the test needs them off");
    }

    public async Task DisposeAsync()
    {
        try
        {
            await _factory.DisposeAsync();
        }
        catch (ObjectDisposedException)
        {
            // Hosting issue (see GatewayFixture): the factory and Program's app.Run() both stop the host.
        }
        ProviderSimulator.Dispose();
        Receiver.Dispose();
        await _infrastructure.DisposeAsync();
    }

    public Rebus.Bus.IBus Bus(string endpoint) => _factory.Services.GetRequiredService<HubBusRegistry>().Get(endpoint);

    string Token(string department) =>
        DevTokens.Create(_signingKey, department, ["requests:write", "requests:read"], TimeSpan.FromMinutes(10));

    /// <summary>
    /// The department posts a request (202 + Location); the provider receives it under the request id and accepts;
    /// later the provider calls the hub back with <paramref name="resultJson"/>; the request is then completed.
    /// </summary>
    public async Task<string> SubmitAndAnswer(string department, string resultJson)
    {
        using var post = new HttpRequestMessage(HttpMethod.Post, "/api/v1/requests")
        {
            Content = new StringContent($$"""{ "service": "{{Service}}", "payload": { "child": "{{Guid.NewGuid():N}}", "district": 7 } }""",
                Encoding.UTF8, "application/json"),
        };
        post.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token(department));
        using var accepted = await _http.SendAsync(post);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        using var acceptedBody = JsonDocument.Parse(await accepted.Content.ReadAsStringAsync());
        var requestId = acceptedBody.RootElement.GetProperty("requestId").GetString()!;
        Assert.Equal($"/api/v1/requests/{requestId}", accepted.Headers.Location?.OriginalString);

        await Eventually.Until(() => ProviderSimulator.Received.Any(r => r.CorrelationId == requestId), Timeout,
            $"the provider received request {requestId}");
        var forwarded = ProviderSimulator.Received.Single(r => r.CorrelationId == requestId);
        Assert.Equal(Service, forwarded.Service);
        Assert.Equal($"/api/v1/providers/{Provider}/responses", forwarded.CallbackUrl.AbsolutePath);
        await Eventually.Until(async () => await StatusOf(department, requestId) == "in-progress", Timeout,
            $"request {requestId} is in progress");

        // Later, the provider calls back.
        using var answer = await ProviderSimulator.Answer(requestId, _callbackSecret, "completed", resultJson);
        Assert.Equal(HttpStatusCode.Accepted, answer.StatusCode);

        await Eventually.Until(async () => await StatusOf(department, requestId) == "completed", Timeout,
            $"request {requestId} is completed");
        return requestId;
    }

    async Task<string?> StatusOf(string department, string requestId)
    {
        using var status = await GetStatus(department, requestId);
        return status.RootElement.GetProperty("status").GetString();
    }

    public async Task<JsonDocument> GetStatus(string department, string requestId)
    {
        using var get = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/requests/{requestId}");
        get.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token(department));
        using var response = await _http.SendAsync(get);
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    }

    public async Task<WebhookDelivery> WaitForDelivery(string deliveryId, string status)
    {
        WebhookDelivery? delivery = null;
        await Eventually.Until(async () => (delivery = await Deliveries.Get(deliveryId))?.Status == status, Timeout,
            $"webhook delivery {deliveryId} is {status} (last seen: {delivery?.Status}, {delivery?.Attempts} attempt(s))");
        return delivery!;
    }

    /// <summary>The webhook is signed with the department's secret, and is about this request (docs/webhooks.md).</summary>
    public void AssertSignedWebhook(ReceivedWebhook call, string department, string deliveryId, string requestId)
    {
        Assert.Equal(HubSignature.Result.Valid,
            HubSignature.Verify(call.Header("Hub-Signature"), _webhookSecrets[department], call.Body, DateTimeOffset.UtcNow));
        Assert.NotEqual(HubSignature.Result.Valid, // and with no other department's secret
            HubSignature.Verify(call.Header("Hub-Signature"), NewSecret(), call.Body, DateTimeOffset.UtcNow));
        Assert.Equal(deliveryId, call.Header("Hub-Delivery-Id"));
        Assert.Equal("request.completed", call.Header("Hub-Event"));
        using var body = JsonDocument.Parse(call.Body);
        var root = body.RootElement;
        Assert.Equal(deliveryId, root.GetProperty("id").GetString());
        Assert.Equal("request.completed", root.GetProperty("type").GetString());
        Assert.Equal(requestId, root.GetProperty("subject").GetString());
        Assert.Equal(department, root.GetProperty("department").GetString());
        Assert.Equal("completed", root.GetProperty("data").GetProperty("status").GetString());
    }
}

/// <summary>A webhook call the receiver got: raw body bytes, headers, and the status it answered.</summary>
public sealed record ReceivedWebhook(string Department, IReadOnlyDictionary<string, string> Headers, byte[] Body, int AnsweredStatus)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

/// <summary>
/// The departments' webhook receivers: one WireMock server, <c>POST /hooks/{department}</c>, answering 200 unless
/// told otherwise per department (by call number, from 1), and recording every call with its raw body.
/// </summary>
public sealed class WebhookReceiver : IDisposable
{
    readonly WireMockServer _server = WireMockServer.Start(new WireMockServerSettings { Urls = ["http://127.0.0.1:0"] });
    readonly ConcurrentDictionary<string, Func<int, int>> _answers = new();
    readonly ConcurrentQueue<ReceivedWebhook> _calls = new();
    readonly Lock _lock = new();

    public WebhookReceiver() =>
        _server.Given(Request.Create().WithPath(new WireMock.Matchers.WildcardMatcher("/hooks/*")).UsingPost())
            .RespondWith(Response.Create().WithCallback(Receive));

    public string UrlFor(string department) => $"{_server.Url}/hooks/{department}";

    public void Answer(string department, Func<int, int> statusForCall) => _answers[department] = statusForCall;

    public IReadOnlyList<ReceivedWebhook> CallsTo(string department) => _calls.Where(c => c.Department == department).ToList();

    ResponseMessage Receive(IRequestMessage request)
    {
        var department = request.Path["/hooks/".Length..];
        int status;
        lock (_lock)
        {
            var call = _calls.Count(c => c.Department == department) + 1;
            status = _answers.TryGetValue(department, out var answer) ? answer(call) : 200;
            var headers = (request.Headers ?? new Dictionary<string, WireMockList<string>>())
                .ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);
            var body = request.BodyAsBytes ?? Encoding.UTF8.GetBytes(request.Body ?? "");
            _calls.Enqueue(new ReceivedWebhook(department, headers, body, status));
        }
        return new ResponseMessage
        {
            StatusCode = status,
            BodyData = new BodyData { BodyAsString = status == 200 ? "ok" : "down", DetectedBodyType = BodyType.String, Encoding = Encoding.UTF8 },
        };
    }

    public void Dispose() => _server.Stop();
}
