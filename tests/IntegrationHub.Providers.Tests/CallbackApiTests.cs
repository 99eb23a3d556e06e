using System.Net;
using System.Text;
using System.Text.Json;
using IntegrationHub.Adapters.AsyncProvider.Simulator;
using IntegrationHub.Contracts.Providers.Commands;
using IntegrationHub.Contracts.Requests.Events;
using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Bus;
using IntegrationHub.Hosting.Security;
using IntegrationHub.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Rebus.Config;

namespace IntegrationHub.Providers.Tests;

/// <summary>The callback API through the Providers endpoint's real Program and HTTP pipeline (embedded mode).</summary>
public sealed class CallbackApiTests : IClassFixture<WebApplicationFactory<IntegrationHub.Providers.Program>>, IDisposable
{
    const string Tenant = "dept-revenue";
    readonly string _secret = Guid.NewGuid().ToString("N");
    readonly string _signingKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48));
    readonly MessageRecorder _events = new();
    readonly string _observer = Names.UniqueEndpoint("Observer");
    readonly AsyncProviderSimulator _simulator;
    readonly WebApplicationFactory<IntegrationHub.Providers.Program> _factory;

    public CallbackApiTests(WebApplicationFactory<IntegrationHub.Providers.Program> factory)
    {
        WebApplicationFactory<IntegrationHub.Providers.Program>? configured = null;
        _simulator = AsyncProviderSimulator.Start(() => configured!.CreateClient());
        _factory = configured = factory.WithWebHostBuilder(web =>
        {
            web.UseSetting("Hub:PublicBaseUrl", "http://localhost/");
            web.UseSetting("Hub:Auth:DevSigningKey", _signingKey);
            web.UseSetting("Hub:Providers:Systems:sim:BaseUrl", _simulator.BaseUrl.ToString());
            web.UseSetting("Hub:Providers:Systems:sim:CallbackSecret", _secret);
            web.ConfigureServices(services => services.AddHubEndpoint(new TestEndpoint(_observer, e => e
                    .Recording<RequestProgressed>(_events)
                    .Recording<RequestCompleted>(_events),
                typeof(RequestProgressed), typeof(RequestCompleted))));
        });
    }

    [Fact]
    public async Task Signed_answer_from_the_provider_is_accepted_and_completes_the_request()
    {
        _ = _factory.Server; // starts the host
        var requestId = Guid.NewGuid().ToString();
        await _factory.Services.GetRequiredService<HubBusRegistry>().Get(_observer).Advanced.Routing.Send("hub.providers",
            new ForwardRequest(requestId, Tenant, "tax-clearance", "sim", """{"taxpayer":"T-1"}""", DateTimeOffset.UtcNow),
            new Dictionary<string, string> { [HubHeaders.Tenant] = Tenant });
        await _events.WaitFor<RequestProgressed>(e => e.RequestId == requestId && e.Step == "provider accepted");

        using var response = await _simulator.Answer(requestId, _secret, "completed", """{"cleared":true}""");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var completed = (RequestCompleted)(await _events.WaitFor<RequestCompleted>(e => e.RequestId == requestId)).Message;
        Assert.True(JsonDocument.Parse(completed.Result).RootElement.GetProperty("cleared").GetBoolean());
        Assert.Equal(Tenant, completed.Tenant);
    }

    [Fact]
    public async Task Repeated_delivery_of_the_same_body_gets_the_same_callback_id()
    {
        var body = AsyncProviderSimulator.CallbackBody(Guid.NewGuid().ToString(), "failed", null, "no such taxpayer");

        using var first = await Post("sim", body, Sign(body));
        using var second = await Post("sim", body, Sign(body));

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        Assert.Equal(await CallbackId(first), await CallbackId(second));
    }

    [Fact]
    public async Task Providers_delivery_id_header_names_the_callback()
    {
        var body = AsyncProviderSimulator.CallbackBody(Guid.NewGuid().ToString(), "completed", "{}", null);

        using var response = await Post("sim", body, Sign(body), ("Idempotency-Key", "abc-123"));

        Assert.Equal("sim:abc-123", await CallbackId(response));
    }

    [Fact]
    public async Task Answer_for_no_known_request_is_kept_and_visible()
    {
        var stray = Guid.NewGuid().ToString();
        var body = AsyncProviderSimulator.CallbackBody(stray, "completed", """{"x":1}""", null);

        using var response = await Post("sim", body, Sign(body));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        using var client = _factory.CreateClient();
        var ops = DevTokens.Create(_signingKey, "operations", [HubScopes.Ops], TimeSpan.FromMinutes(5));
        await Eventually.Until(async () =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/providers/unmatched-callbacks?provider=sim");
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ops);
            using var listed = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
            using var json = JsonDocument.Parse(await listed.Content.ReadAsStringAsync());
            return json.RootElement.EnumerateArray().Any(c => c.GetProperty("correlationId").GetString() == stray);
        }, TimeSpan.FromSeconds(30), "the stray answer is listed to operators");
    }

    [Fact]
    public async Task Unmatched_callbacks_are_listed_only_to_operators()
    {
        using var client = _factory.CreateClient();
        using var anonymous = await client.GetAsync("/api/v1/providers/unmatched-callbacks");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/providers/unmatched-callbacks");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer",
            DevTokens.Create(_signingKey, Tenant, ["requests:read"], TimeSpan.FromMinutes(5)));
        using var department = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, department.StatusCode);
    }

    [Fact]
    public async Task Wrong_signature_is_rejected_with_401()
    {
        var body = AsyncProviderSimulator.CallbackBody("r-1", "completed", "{}", null);

        using var response = await Post("sim", body, AsyncProviderSimulator.Sign("not-the-secret", body, DateTimeOffset.UtcNow));

        await response.AssertProblem(HttpStatusCode.Unauthorized, "does not match");
    }

    [Fact]
    public async Task Signature_over_another_body_is_rejected_with_401()
    {
        var body = AsyncProviderSimulator.CallbackBody("r-1", "completed", "{}", null);

        using var response = await Post("sim", body.Replace("r-1", "r-2"), Sign(body));

        await response.AssertProblem(HttpStatusCode.Unauthorized, "does not match");
    }

    [Fact]
    public async Task Expired_signature_is_rejected_with_401()
    {
        var body = AsyncProviderSimulator.CallbackBody("r-1", "completed", "{}", null);

        using var response = await Post("sim", body, AsyncProviderSimulator.Sign(_secret, body, DateTimeOffset.UtcNow.AddMinutes(-10)));

        await response.AssertProblem(HttpStatusCode.Unauthorized, "timestamp");
    }

    [Fact]
    public async Task Missing_signature_is_rejected_with_401()
    {
        using var response = await Post("sim", AsyncProviderSimulator.CallbackBody("r-1", "completed", "{}", null), signature: null);

        await response.AssertProblem(HttpStatusCode.Unauthorized, "missing");
    }

    [Fact]
    public async Task Unknown_provider_is_answered_404()
    {
        var body = AsyncProviderSimulator.CallbackBody("r-1", "completed", "{}", null);

        using var response = await Post("nobody", body, Sign(body));

        await response.AssertProblem(HttpStatusCode.NotFound, "nobody");
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"status":"completed"}""")]
    [InlineData("""{"correlationId":"r-1","status":"done"}""")]
    [InlineData("""{"correlationId":"r-1","status":"failed","error":42}""")]
    public async Task Malformed_answer_is_rejected_with_400(string body)
    {
        using var response = await Post("sim", body, Sign(body));

        await response.AssertProblem(HttpStatusCode.BadRequest, "correlationId");
    }

    [Fact]
    public async Task Oversized_answer_is_rejected_with_413()
    {
        var body = AsyncProviderSimulator.CallbackBody("r-1", "completed", $"\"{new string('x', 2 * 1024 * 1024)}\"", null);

        using var response = await Post("sim", body, Sign(body));

        await response.AssertProblem(HttpStatusCode.RequestEntityTooLarge, "at most");
    }

    [Theory]
    [InlineData("t=99999999999999,v1=00")]                // a time no clock shows
    [InlineData("t=9223372036854775807,v1=00")]           // long.MaxValue
    [InlineData("t=99999999999999999999999,v1=00")]       // beyond a long
    [InlineData("t=-5,v1=00")]
    public async Task Forged_signature_header_answers_401_not_an_error(string header)
    {
        using var response = await Post("sim", AsyncProviderSimulator.CallbackBody(Guid.NewGuid().ToString(), "completed", "{}", null), header);

        await response.AssertProblem(HttpStatusCode.Unauthorized, "Hub-Signature");
    }

    [Theory]
    [InlineData("""{"correlationId":"c-1","status":"failed","error":"\u0000"}""", "NUL")]
    [InlineData("""{"correlationId":"c-1\u0000","status":"completed"}""", "NUL")]
    [InlineData("""{"correlationId":"c-1","status":"completed","result":{"name":"\ud800"}}""", "surrogate")]
    public async Task Signed_callback_holding_text_the_hub_cannot_keep_is_refused_with_400(string body, string reason)
    {
        using var response = await Post("sim", body, Sign(body));

        await response.AssertProblem(HttpStatusCode.BadRequest, reason);
        Assert.Empty(await _factory.Services.GetRequiredService<IntegrationHub.Providers.Exchanges.IProviderExchangeStore>().ListUnmatched(limit: 1000));
    }

    [Fact]
    public async Task Signed_callback_that_is_not_utf8_is_refused_with_400()
    {
        var body = Encoding.UTF8.GetBytes("""{"correlationId":"c-1","status":"failed","error":"X"}""");
        body[^3] = 0xFF; // the X
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/providers/sim/responses") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.Add("Hub-Signature", IntegrationHub.Hosting.Security.HubSignature.Create(_secret, body, DateTimeOffset.UtcNow));

        using var response = await _factory.CreateClient().SendAsync(request);

        await response.AssertProblem(HttpStatusCode.BadRequest, "UTF-8");
    }

    string Sign(string body) => AsyncProviderSimulator.Sign(_secret, body, DateTimeOffset.UtcNow);

    async Task<HttpResponseMessage> Post(string provider, string body, string? signature, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/providers/{provider}/responses")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        if (signature is not null) request.Headers.Add("Hub-Signature", signature);
        foreach (var (name, value) in headers) request.Headers.Add(name, value);
        return await _factory.CreateClient().SendAsync(request);
    }

    static async Task<string> CallbackId(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("callbackId").GetString()!;

    public void Dispose()
    {
        _factory.Dispose(); // each test boots its own host; stop it now rather than with the class fixture
        _simulator.Dispose();
    }
}
