using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using IntegrationHub.Contracts.Requests.Events;
using IntegrationHub.Contracts.Webhooks.Commands;
using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Security;
using IntegrationHub.Testing;
using IntegrationHub.Webhooks.Delivery;
using IntegrationHub.Webhooks.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace IntegrationHub.Webhooks.Tests;

/// <summary>
/// Partner webhooks end to end — a request ends, its department's receiver (a WireMock simulator on loopback, dev
/// mode) gets a signed webhook, retried until it answers 2xx or dead-lettered and replayed — on every infrastructure.
/// </summary>
public abstract class WebhookDeliveryContract<TInfrastructure>(TInfrastructure infrastructure)
    : IClassFixture<TInfrastructure>, IAsyncLifetime
    where TInfrastructure : class, IHubInfrastructure
{
    const string Department = "health";
    const string DepartmentWithoutUrl = "archive";
    const string FailuresOnly = "audit";
    protected static readonly TimeSpan[] Schedule = [TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(300)];
    static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    readonly WireMockServer _receiver = WireMockServer.Start();
    readonly string _secret = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
    readonly string _sender = Names.UniqueEndpoint("Sender");
    readonly WebhooksEndpoint _webhooks = new();
    HubTestHost _host = null!;

    protected IWebhookDeliveryReader Deliveries { get; private set; } = null!;
    protected TInfrastructure Infrastructure => infrastructure;

    public async Task InitializeAsync()
    {
        var settings = infrastructure.Settings();
        settings["Hub:Webhooks:AllowInsecureCallbacks"] = "true";
        for (var i = 0; i < Schedule.Length; i++)
            settings[$"Hub:Webhooks:RetrySchedule:{i}"] = Schedule[i].ToString();
        settings[$"Hub:Webhooks:Departments:{Department}:CallbackUrl"] = _receiver.Url + "/hooks/health";
        settings[$"Hub:Webhooks:Departments:{Department}:Secret"] = _secret;
        settings[$"Hub:Webhooks:Departments:{DepartmentWithoutUrl}:Secret"] = _secret;
        settings[$"Hub:Webhooks:Departments:{FailuresOnly}:CallbackUrl"] = _receiver.Url + "/hooks/audit";
        settings[$"Hub:Webhooks:Departments:{FailuresOnly}:Secret"] = _secret;
        settings[$"Hub:Webhooks:Departments:{FailuresOnly}:Events:0"] = "request.failed";
        // One message at a time, in queue order: a test can tell when everything a message led to has happened.
        settings["Hub:Endpoints:Webhooks:Workers"] = "1";
        settings["Hub:Endpoints:Webhooks:MaxParallelism"] = "1";

        _host = await HubTestHost.Start(settings, _webhooks, new TestEndpoint(_sender, _ => { }));
        Deliveries = _host.Services.GetRequiredService<IWebhookDeliveryReader>();
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _receiver.Stop();
        await infrastructure.CleanUp(HubEndpoint.QueueNameOf(_sender), "hub.webhooks");
    }

    [Fact]
    public async Task Completed_request_is_delivered_signed_and_the_signature_verifies()
    {
        ReceiverAnswers(200);
        var requestId = Guid.NewGuid().ToString();
        var endedAt = new DateTimeOffset(2025, 11, 24, 6, 50, 12, 345, TimeSpan.Zero);

        await Publish(new RequestCompleted(requestId, Department, """{"claim":"approved","amount":120.5}""", endedAt));
        var delivery = await WaitForStatus(requestId, WebhookTypes.Completed, WebhookStatus.Delivered);

        var received = Assert.Single(_receiver.LogEntries).RequestMessage;
        var body = Encoding.UTF8.GetBytes(received.Body!);
        Assert.Equal(HubSignature.Result.Valid, HubSignature.Verify(Header(received, "Hub-Signature"), _secret, body, DateTimeOffset.UtcNow));
        Assert.Equal(HubSignature.Result.Mismatch, HubSignature.Verify(Header(received, "Hub-Signature"), "another secret", body, DateTimeOffset.UtcNow));
        Assert.Equal(delivery.Id, Header(received, "Hub-Delivery-Id"));
        Assert.Equal("request.completed", Header(received, "Hub-Event"));
        Assert.Equal("application/json", Header(received, "Content-Type"));
        Assert.Equal("IntegrationHub-Webhooks/1", Header(received, "User-Agent"));

        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        Assert.Equal(delivery.Id, root.GetProperty("id").GetString());
        Assert.Equal("request.completed", root.GetProperty("type").GetString());
        Assert.Equal(["id", "type", "department", "subject", "occurredAt", "data"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(requestId, root.GetProperty("subject").GetString());
        Assert.Equal(Department, root.GetProperty("department").GetString());
        Assert.Equal("2025-11-24T06:50:12.345Z", root.GetProperty("occurredAt").GetString());
        var data = root.GetProperty("data");
        Assert.Equal(requestId, data.GetProperty("requestId").GetString());
        Assert.Equal("completed", data.GetProperty("status").GetString());
        Assert.Equal("approved", data.GetProperty("result").GetProperty("claim").GetString());
        Assert.Equal(120.5m, data.GetProperty("result").GetProperty("amount").GetDecimal());
        Assert.False(data.TryGetProperty("error", out _));
        Assert.Equal(1, delivery.Attempts);
        Assert.Equal(200, delivery.LastStatusCode);
    }

    [Fact]
    public async Task Department_that_chose_its_webhook_types_gets_only_those()
    {
        _receiver.Given(Request.Create().WithPath("/hooks/audit").UsingPost()).RespondWith(Response.Create().WithStatusCode(200));
        var completed = Guid.NewGuid().ToString();
        var failed = Guid.NewGuid().ToString();

        await Publish(new RequestCompleted(completed, FailuresOnly, "{}", DateTimeOffset.UtcNow));
        await Publish(new RequestFailed(failed, FailuresOnly, "provider refused", DateTimeOffset.UtcNow));
        // One message at a time, in order: once the failure is delivered, the completion was handled before it.
        await WaitForStatus(failed, WebhookTypes.Failed, WebhookStatus.Delivered);

        Assert.Null(await Deliveries.Get(WebhookPayload.DeliveryIdFor(completed, WebhookTypes.Completed)));
        var received = Assert.Single(_receiver.LogEntries, e => e.RequestMessage.Path == "/hooks/audit");
        Assert.Equal("request.failed", Header(received.RequestMessage, "Hub-Event"));
    }

    [Fact]
    public async Task Failed_and_timed_out_requests_are_delivered_with_their_type_and_status()
    {
        ReceiverAnswers(202);
        var failed = Guid.NewGuid().ToString();
        var timedOut = Guid.NewGuid().ToString();

        await Publish(new RequestFailed(failed, Department, "provider refused: unknown patient", DateTimeOffset.UtcNow));
        await Publish(new RequestTimedOut(timedOut, Department, DateTimeOffset.UtcNow));
        await WaitForStatus(failed, WebhookTypes.Failed, WebhookStatus.Delivered);
        await WaitForStatus(timedOut, WebhookTypes.TimedOut, WebhookStatus.Delivered);

        var bodies = _receiver.LogEntries.Select(e => JsonDocument.Parse(e.RequestMessage.Body!).RootElement).ToList();
        var failedBody = Assert.Single(bodies, b => b.GetProperty("subject").GetString() == failed);
        Assert.Equal("request.failed", failedBody.GetProperty("type").GetString());
        Assert.Equal("failed", failedBody.GetProperty("data").GetProperty("status").GetString());
        Assert.Equal("provider refused: unknown patient", failedBody.GetProperty("data").GetProperty("error").GetString());
        Assert.False(failedBody.GetProperty("data").TryGetProperty("result", out _));
        var timedOutBody = Assert.Single(bodies, b => b.GetProperty("subject").GetString() == timedOut);
        Assert.Equal("request.timed-out", timedOutBody.GetProperty("type").GetString());
        Assert.Equal("timed-out", timedOutBody.GetProperty("data").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Receiver_that_fails_twice_gets_the_webhook_on_the_third_attempt_with_the_same_delivery_id()
    {
        var request = Request.Create().WithPath("/hooks/health").UsingPost();
        _receiver.Given(request).InScenario("flaky").WillSetStateTo("failed once").RespondWith(Response.Create().WithStatusCode(503));
        _receiver.Given(request).InScenario("flaky").WhenStateIs("failed once").WillSetStateTo("failed twice").RespondWith(Response.Create().WithStatusCode(503));
        _receiver.Given(request).InScenario("flaky").WhenStateIs("failed twice").RespondWith(Response.Create().WithStatusCode(200));
        var requestId = Guid.NewGuid().ToString();

        await Publish(new RequestCompleted(requestId, Department, "{}", DateTimeOffset.UtcNow));
        var delivery = await WaitForStatus(requestId, WebhookTypes.Completed, WebhookStatus.Delivered);

        Assert.Equal(3, delivery.Attempts);
        Assert.Equal([503, 503, 200], _receiver.LogEntries.Select(e => e.ResponseMessage.StatusCode).Select(Convert.ToInt32));
        Assert.All(_receiver.LogEntries, e => Assert.Equal(delivery.Id, Header(e.RequestMessage, "Hub-Delivery-Id")));
        Assert.Equal([503, 503, 200], (await Deliveries.Attempts(delivery.Id)).Select(a => a.StatusCode ?? 0));
    }

    [Fact]
    public async Task Receiver_down_for_good_gets_the_webhook_dead_lettered_after_the_schedule_and_a_replay_delivers_it()
    {
        ReceiverAnswers(503);
        var requestId = Guid.NewGuid().ToString();

        await Publish(new RequestCompleted(requestId, Department, "{}", DateTimeOffset.UtcNow));
        var dead = await WaitForStatus(requestId, WebhookTypes.Completed, WebhookStatus.Dead);

        Assert.Equal(Schedule.Length + 1, dead.Attempts);
        Assert.Equal(503, dead.LastStatusCode);
        Assert.Contains("503", dead.LastError);
        Assert.Null(dead.NextAttemptAt);
        Assert.Equal(Schedule.Length + 1, _receiver.LogEntries.Count());

        _receiver.Reset();
        ReceiverAnswers(200);
        await _host.Bus(_sender).Send(new ReplayWebhookDelivery(dead.Id));
        var replayed = await WaitForStatus(requestId, WebhookTypes.Completed, WebhookStatus.Delivered);

        Assert.Equal(Schedule.Length + 2, replayed.Attempts);
        Assert.Equal(2, replayed.Round);
        Assert.Equal(dead.Id, Header(Assert.Single(_receiver.LogEntries).RequestMessage, "Hub-Delivery-Id"));
    }

    [Fact]
    public async Task Department_without_a_callback_url_gets_a_visible_no_callback_registered_record()
    {
        ReceiverAnswers(200);
        var requestId = Guid.NewGuid().ToString();

        await Publish(new RequestFailed(requestId, DepartmentWithoutUrl, "provider refused", DateTimeOffset.UtcNow));
        var delivery = await WaitForStatus(requestId, WebhookTypes.Failed, WebhookStatus.NoCallbackRegistered);

        Assert.Equal(DepartmentWithoutUrl, delivery.Department);
        Assert.Equal(0, delivery.Attempts);
        Assert.Contains(delivery, await Deliveries.List(WebhookStatus.NoCallbackRegistered, DepartmentWithoutUrl));
        Assert.Empty(_receiver.LogEntries);
    }

    [Fact]
    public async Task The_same_event_again_is_delivered_once_whether_it_comes_at_once_or_after_delivery()
    {
        ReceiverAnswers(200);
        var requestId = Guid.NewGuid().ToString();
        var completed = new RequestCompleted(requestId, Department, "{}", DateTimeOffset.UtcNow);
        var later = Guid.NewGuid().ToString();

        await Publish(completed);
        await Publish(completed);
        await WaitForStatus(requestId, WebhookTypes.Completed, WebhookStatus.Delivered);
        await Publish(completed); // once more, after it was delivered (a redelivery, a replayed event)
        await Publish(completed with { RequestId = later });
        // The endpoint handles one message at a time, in queue order (see InitializeAsync): the last copy, then the
        // later event, then the attempts they asked for in that order. So once the later webhook is delivered, any
        // attempt a second delivery of the first request would have made has been made too.
        await WaitForStatus(later, WebhookTypes.Completed, WebhookStatus.Delivered);
        var laterId = WebhookPayload.DeliveryIdFor(later, WebhookTypes.Completed);
        await Eventually.Until(() => _receiver.LogEntries.Any(e => Header(e.RequestMessage, "Hub-Delivery-Id") == laterId), Patience,
            "the receiver logged the later webhook");

        var id = WebhookPayload.DeliveryIdFor(requestId, WebhookTypes.Completed);
        Assert.Equal(2, _receiver.LogEntries.Count());
        Assert.Equal(1, _receiver.LogEntries.Count(e => Header(e.RequestMessage, "Hub-Delivery-Id") == id));
        Assert.Equal(1, _receiver.LogEntries.Count(e => e.RequestMessage.Body!.Contains(requestId, StringComparison.Ordinal)));
        var ofTheRequest = Assert.Single(await Deliveries.List(department: Department, limit: 1000), d => d.Subject == requestId);
        Assert.Equal((id, WebhookStatus.Delivered, 1, 1), (ofTheRequest.Id, ofTheRequest.Status, ofTheRequest.Attempts, ofTheRequest.Round));
        Assert.Single(await Deliveries.Attempts(id));
    }

    void ReceiverAnswers(int status) =>
        _receiver.Given(Request.Create().WithPath("/hooks/health").UsingPost()).RespondWith(Response.Create().WithStatusCode(status));

    Task Publish(object @event) => _host.Bus(_sender).Publish(@event);

    protected async Task<WebhookDelivery> WaitForStatus(string requestId, string eventType, string status)
    {
        var id = WebhookPayload.DeliveryIdFor(requestId, eventType);
        WebhookDelivery? delivery = null;
        await Eventually.Until(async () => (delivery = await Deliveries.Get(id))?.Status == status, Patience,
            $"webhook {id} is {status} (last seen: {delivery?.Status ?? "not recorded"}, {delivery?.LastError})");
        return delivery!;
    }

    static string? Header(IRequestMessage request, string name) =>
        request.Headers!.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value?.FirstOrDefault();
}

public sealed class WebhookDelivery_InMemory(InMemoryInfrastructure infrastructure)
    : WebhookDeliveryContract<InMemoryInfrastructure>(infrastructure);

// A virtual host of its own: messages left in the fixed hub.webhooks queue by another class can't reach this one.
public sealed class WebhookDelivery_RabbitMqPostgreSql(IsolatedDurableInfrastructure infrastructure)
    : WebhookDeliveryContract<IsolatedDurableInfrastructure>(infrastructure);
