using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using IntegrationHub.Contracts.Requests.Events;
using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Security;
using IntegrationHub.Testing;
using IntegrationHub.Webhooks.Delivery;
using IntegrationHub.Webhooks.Storage;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace IntegrationHub.Webhooks.Tests;

/// <summary>
/// The operators' deliveries API through the Webhooks endpoint's real Program and HTTP pipeline (embedded mode):
/// department "health" receives (200), "tax" is down (503, dead after two attempts) until a test brings it back,
/// "archive" has no callback URL.
/// </summary>
public sealed class DeliveriesApiTests : IAsyncLifetime
{
    const string Health = "health";
    const string Tax = "tax";
    const string Archive = "archive";
    static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    readonly WireMockServer _receiver = WireMockServer.Start();
    readonly string _signingKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
    readonly string _webhookSecret = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
    volatile int _taxAnswers = 503;
    WebApplicationFactory<Program> _factory = null!;
    HttpClient _http = null!;

    public Task InitializeAsync()
    {
        _receiver.Given(Request.Create().WithPath("/hooks/health").UsingPost()).RespondWith(Response.Create().WithStatusCode(200));
        _receiver.Given(Request.Create().WithPath("/hooks/tax").UsingPost())
            .RespondWith(Response.Create().WithCallback(_ => new ResponseMessage { StatusCode = _taxAnswers }));
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web => web
            .UseSetting("Hub:Auth:DevSigningKey", _signingKey)
            .UseSetting("Hub:Webhooks:AllowInsecureCallbacks", "true")
            .UseSetting("Hub:Webhooks:RetrySchedule:0", "00:00:00.010")
            .UseSetting($"Hub:Webhooks:Departments:{Health}:CallbackUrl", _receiver.Url + "/hooks/health")
            .UseSetting($"Hub:Webhooks:Departments:{Health}:Secret", _webhookSecret)
            .UseSetting($"Hub:Webhooks:Departments:{Tax}:CallbackUrl", _receiver.Url + "/hooks/tax")
            .UseSetting($"Hub:Webhooks:Departments:{Tax}:Secret", _webhookSecret)
            .UseSetting($"Hub:Webhooks:Departments:{Archive}:Secret", _webhookSecret));
        _http = _factory.CreateClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        _receiver.Stop();
    }

    [Fact]
    public async Task Deliveries_api_without_a_token_answers_401_problems()
    {
        foreach (var response in new[]
                 {
                     await Get(null, "/api/v1/webhooks/deliveries"),
                     await Get(null, "/api/v1/webhooks/deliveries/any"),
                     await Post(null, "/api/v1/webhooks/deliveries/any/replay"),
                 })
        {
            await response.AssertProblem(HttpStatusCode.Unauthorized, "bearer token");
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        }
    }

    [Fact]
    public async Task Deliveries_api_without_the_ops_scope_answers_403_problems_naming_the_scope()
    {
        var departmentToken = Token("requests:read", "requests:write");

        await (await Get(departmentToken, "/api/v1/webhooks/deliveries")).AssertProblem(HttpStatusCode.Forbidden, HubScopes.Ops);
        await (await Get(departmentToken, "/api/v1/webhooks/deliveries/any")).AssertProblem(HttpStatusCode.Forbidden, HubScopes.Ops);
        await (await Post(departmentToken, "/api/v1/webhooks/deliveries/any/replay")).AssertProblem(HttpStatusCode.Forbidden, HubScopes.Ops);
    }

    [Fact]
    public async Task List_filters_by_status_and_department_newest_first_without_payloads()
    {
        var now = DateTimeOffset.UtcNow;
        var deadTax = await Seed(Tax, WebhookStatus.Dead, now.AddMinutes(-3));
        var deliveredTax = await Seed(Tax, WebhookStatus.Delivered, now.AddMinutes(-2));
        var newerDeadTax = await Seed(Tax, WebhookStatus.Dead, now.AddMinutes(-1));
        var deadHealth = await Seed(Health, WebhookStatus.Dead, now.AddSeconds(-30));

        var deadOfTax = await List("?status=dead&department=TAX");
        var allDead = await List("?status=dead");
        var allOfTax = await List("?department=tax");

        Assert.Equal([newerDeadTax.Id, deadTax.Id], Ids(deadOfTax));
        Assert.Equal([deadHealth.Id, newerDeadTax.Id, deadTax.Id], Ids(allDead));
        Assert.Equal([newerDeadTax.Id, deliveredTax.Id, deadTax.Id], Ids(allOfTax));
        var first = deadOfTax.GetProperty("deliveries")[0];
        Assert.Equal(("dead", Tax, "request.completed", newerDeadTax.Subject),
            (first.GetProperty("status").GetString(), first.GetProperty("department").GetString(),
             first.GetProperty("eventType").GetString(), first.GetProperty("subject").GetString()));
        Assert.False(first.TryGetProperty("payload", out _));
        Assert.Equal(JsonValueKind.Null, deadOfTax.GetProperty("next").ValueKind);
    }

    [Fact]
    public async Task List_pages_through_every_delivery_once_with_limit_and_next()
    {
        var now = DateTimeOffset.UtcNow;
        var sameTime = now.AddMinutes(-2);
        var seeded = new[]
        {
            await Seed(Archive, WebhookStatus.NoCallbackRegistered, now.AddMinutes(-5)),
            await Seed(Archive, WebhookStatus.NoCallbackRegistered, sameTime),
            await Seed(Archive, WebhookStatus.NoCallbackRegistered, sameTime),
            await Seed(Archive, WebhookStatus.NoCallbackRegistered, sameTime),
            await Seed(Archive, WebhookStatus.NoCallbackRegistered, now.AddMinutes(-1)),
        };
        var expected = seeded.OrderByDescending(d => d.CreatedAt).ThenByDescending(d => d.Id, StringComparer.Ordinal).Select(d => d.Id).ToList();

        var listed = new List<string>();
        var pages = 0;
        string? next = null;
        do
        {
            var page = await List($"?department={Archive}&limit=2" + (next is null ? "" : "&after=" + Uri.EscapeDataString(next)));
            Assert.True(page.GetProperty("deliveries").GetArrayLength() <= 2);
            listed.AddRange(Ids(page));
            next = page.GetProperty("next").GetString();
            pages++;
        } while (next is not null && pages < 10);

        Assert.Equal(expected, listed);
        Assert.Equal(3, pages);
    }

    [Fact]
    public async Task List_answers_400_problems_for_an_unknown_status_and_a_malformed_cursor()
    {
        await (await Get(OpsToken(), "/api/v1/webhooks/deliveries?status=dead-lettered")).AssertProblem(HttpStatusCode.BadRequest, "no-callback-registered");
        await (await Get(OpsToken(), "/api/v1/webhooks/deliveries?after=not-a-cursor")).AssertProblem(HttpStatusCode.BadRequest, "next");
    }

    [Fact]
    public async Task Show_gives_every_attempt_with_status_codes_errors_and_times_but_never_the_payload_or_the_secret()
    {
        var startedAt = DateTimeOffset.UtcNow;
        var requestId = Guid.NewGuid().ToString();
        const string personalResult = """{"citizen":"Jane Example","claim":"approved"}""";
        await Publish(new RequestCompleted(requestId, Tax, personalResult, startedAt));
        var id = await WaitForStatus(requestId, WebhookTypes.Completed, WebhookStatus.Dead);

        var response = await Get(OpsToken(), $"/api/v1/webhooks/deliveries/{id}");

        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("Jane Example", text);
        Assert.DoesNotContain(_webhookSecret, text, StringComparison.OrdinalIgnoreCase);
        var body = JsonDocument.Parse(text).RootElement;
        var delivery = body.GetProperty("delivery");
        Assert.Equal((id, "dead", 2, 503), (delivery.GetProperty("id").GetString(), delivery.GetProperty("status").GetString(),
            delivery.GetProperty("attempts").GetInt32(), delivery.GetProperty("lastStatusCode").GetInt32()));
        Assert.False(delivery.TryGetProperty("payload", out _));
        var attempts = body.GetProperty("attempts").EnumerateArray().ToList();
        Assert.Equal([1, 2], attempts.Select(a => a.GetProperty("attempt").GetInt32()));
        Assert.All(attempts, a =>
        {
            Assert.Equal(503, a.GetProperty("statusCode").GetInt32());
            Assert.Contains("503", a.GetProperty("error").GetString());
            Assert.Equal(1, a.GetProperty("round").GetInt32());
            Assert.InRange(a.GetProperty("attemptedAt").GetDateTimeOffset(), startedAt.AddSeconds(-1), DateTimeOffset.UtcNow);
        });
    }

    [Fact]
    public async Task Show_and_replay_of_an_unknown_delivery_answer_404_problems()
    {
        await (await Get(OpsToken(), "/api/v1/webhooks/deliveries/no-such-delivery")).AssertProblem(HttpStatusCode.NotFound);
        await (await Post(OpsToken(), "/api/v1/webhooks/deliveries/no-such-delivery/replay")).AssertProblem(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Replay_of_a_dead_delivery_answers_202_and_delivers_it_in_a_new_round_with_the_same_id()
    {
        var requestId = Guid.NewGuid().ToString();
        await Publish(new RequestFailed(requestId, Tax, "provider refused", DateTimeOffset.UtcNow));
        var id = await WaitForStatus(requestId, WebhookTypes.Failed, WebhookStatus.Dead);
        _taxAnswers = 200;

        var response = await Post(OpsToken(), $"/api/v1/webhooks/deliveries/{id}/replay");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal($"/api/v1/webhooks/deliveries/{id}", response.Headers.Location?.OriginalString);
        var accepted = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(id, accepted.GetProperty("deliveryId").GetString());
        await WaitForStatus(requestId, WebhookTypes.Failed, WebhookStatus.Delivered);
        var details = JsonDocument.Parse(await (await Get(OpsToken(), $"/api/v1/webhooks/deliveries/{id}")).Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(2, details.GetProperty("delivery").GetProperty("round").GetInt32());
        Assert.Equal([(1, 503), (1, 503), (2, 200)], details.GetProperty("attempts").EnumerateArray()
            .Select(a => (a.GetProperty("round").GetInt32(), a.GetProperty("statusCode").GetInt32())));
        Assert.Equal(3, ReceivedFor(id));
    }

    [Fact]
    public async Task Replay_of_a_pending_delivery_or_of_a_delivered_one_without_force_answers_409_and_changes_nothing()
    {
        var pending = await Seed(Health, WebhookStatus.Pending, DateTimeOffset.UtcNow);
        var requestId = Guid.NewGuid().ToString();
        await Publish(new RequestCompleted(requestId, Health, "{}", DateTimeOffset.UtcNow));
        var delivered = await WaitForStatus(requestId, WebhookTypes.Completed, WebhookStatus.Delivered);

        await (await Post(OpsToken(), $"/api/v1/webhooks/deliveries/{pending.Id}/replay")).AssertProblem(HttpStatusCode.Conflict, "still being delivered");
        await (await Post(OpsToken(), $"/api/v1/webhooks/deliveries/{delivered}/replay")).AssertProblem(HttpStatusCode.Conflict, "delivered already");

        Assert.Equal((WebhookStatus.Pending, 1), await StatusAndRound(pending.Id));
        Assert.Equal((WebhookStatus.Delivered, 1), await StatusAndRound(delivered));
        Assert.Equal(1, ReceivedFor(delivered));
    }

    [Fact]
    public async Task Forced_replay_of_a_delivered_delivery_delivers_it_again()
    {
        var requestId = Guid.NewGuid().ToString();
        await Publish(new RequestTimedOut(requestId, Health, DateTimeOffset.UtcNow));
        var id = await WaitForStatus(requestId, WebhookTypes.TimedOut, WebhookStatus.Delivered);

        var response = await Post(OpsToken(), $"/api/v1/webhooks/deliveries/{id}/replay?force=true");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await Eventually.Until(() => ReceivedFor(id) == 2, Patience, "the receiver got the delivery a second time");
        await Eventually.Until(async () => await StatusAndRound(id) == (WebhookStatus.Delivered, 2), Patience, "round 2 is delivered");
    }

    [Fact]
    public async Task Replay_of_a_never_sent_delivery_answers_409_while_its_department_has_no_callback_url()
    {
        var requestId = Guid.NewGuid().ToString();
        await Publish(new RequestFailed(requestId, Archive, "provider refused", DateTimeOffset.UtcNow));
        var id = await WaitForStatus(requestId, WebhookTypes.Failed, WebhookStatus.NoCallbackRegistered);

        await (await Post(OpsToken(), $"/api/v1/webhooks/deliveries/{id}/replay")).AssertProblem(HttpStatusCode.Conflict, "no callback URL");
    }

    [Theory]
    [InlineData("/api/v1/webhooks/deliveries?status=%00")]
    [InlineData("/api/v1/webhooks/deliveries?department=he%00alth")]
    [InlineData("/api/v1/webhooks/deliveries?department=%C3")]
    public async Task Nul_or_invalid_utf8_in_the_query_gets_400(string path)
    {
        await (await Get(OpsToken(), path)).AssertProblem(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Cursor_that_decodes_to_control_characters_gets_400()
    {
        var cursor = System.Buffers.Text.Base64Url.EncodeToString(System.Text.Encoding.UTF8.GetBytes("638000000000000000:id\0x"));

        await (await Get(OpsToken(), $"/api/v1/webhooks/deliveries?after={cursor}")).AssertProblem(HttpStatusCode.BadRequest, "after");
    }

    string Token(params string[] scopes) => DevTokens.Create(_signingKey, "hub-operators", scopes, TimeSpan.FromMinutes(10));

    string OpsToken() => Token(HubScopes.Ops);

    Task<HttpResponseMessage> Get(string? token, string path) => Send(HttpMethod.Get, token, path);

    Task<HttpResponseMessage> Post(string? token, string path) => Send(HttpMethod.Post, token, path);

    Task<HttpResponseMessage> Send(HttpMethod method, string? token, string path)
    {
        var request = new HttpRequestMessage(method, path);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return _http.SendAsync(request);
    }

    async Task<JsonElement> List(string query)
    {
        var response = await Get(OpsToken(), "/api/v1/webhooks/deliveries" + query);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement;
    }

    static string[] Ids(JsonElement page) => page.GetProperty("deliveries").EnumerateArray().Select(d => d.GetProperty("id").GetString()!).ToArray();

    IWebhookDeliveryReader Deliveries => _factory.Services.GetRequiredService<IWebhookDeliveryReader>();

    /// <summary>A delivery put straight into the (in-memory) store: no attempt is made for it.</summary>
    async Task<WebhookDelivery> Seed(string department, string status, DateTimeOffset createdAt)
    {
        var requestId = Guid.NewGuid().ToString();
        var id = WebhookPayload.DeliveryIdFor(requestId, WebhookTypes.Completed);
        var delivery = new WebhookDelivery(id, department, requestId, WebhookTypes.Completed, new Uri(_receiver.Url + "/hooks/" + department),
            status, Attempts: status == WebhookStatus.Pending ? 0 : 1, Round: 1, RoundAttempts: 0, createdAt, LastAttemptAt: null,
            LastStatusCode: null, LastError: null, NextAttemptAt: status == WebhookStatus.Pending ? createdAt.AddHours(1) : null,
            DeliveredAt: status == WebhookStatus.Delivered ? createdAt : null,
            Payload: WebhookPayload.Create(id, WebhookTypes.Completed, department, requestId, createdAt, new System.Text.Json.Nodes.JsonObject()));
        Assert.True(await ((IWebhookDeliveryStore)Deliveries).TryAdd(delivery));
        return delivery;
    }

    Task Publish(object @event) => _factory.Services.GetRequiredService<HubBusRegistry>().Get(WebhooksEndpoint.EndpointName).Publish(@event);

    async Task<string> WaitForStatus(string requestId, string eventType, string status)
    {
        var id = WebhookPayload.DeliveryIdFor(requestId, eventType);
        WebhookDelivery? delivery = null;
        await Eventually.Until(async () => (delivery = await Deliveries.Get(id))?.Status == status, Patience,
            $"webhook {id} is {status} (last seen: {delivery?.Status ?? "not recorded"})");
        return id;
    }

    async Task<(string Status, int Round)> StatusAndRound(string id) =>
        await Deliveries.Get(id) is { } d ? (d.Status, d.Round) : ("gone", 0);

    int ReceivedFor(string deliveryId) => _receiver.LogEntries.Count(e =>
        e.RequestMessage.Headers!.TryGetValue(WebhookSender.DeliveryIdHeader, out var values) && values.Contains(deliveryId));
}
