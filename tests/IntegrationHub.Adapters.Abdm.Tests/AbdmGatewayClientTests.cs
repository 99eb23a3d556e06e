using System.Text.Json.Nodes;
using IntegrationHub.Adapters.Abdm.Gateway;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace IntegrationHub.Adapters.Abdm.Tests;

/// <summary>The gateway client against a WireMock gateway: paths, headers and bodies of both generations, the session, refusals.</summary>
public sealed class AbdmGatewayClientTests : IDisposable
{
    const string Secret = "very-secret-client-secret";
    readonly WireMockServer _gateway = WireMockServer.Start();

    public void Dispose() => _gateway.Stop();

    AbdmGatewayClient Client(AbdmApiVersion version, string basePath = "", TimeProvider? time = null) =>
        new(new AbdmGatewayOptions
        {
            BaseUrl = new Uri(_gateway.Url + basePath),
            ApiVersion = version,
            ClientId = "client",
            ClientSecret = Secret,
            Timeout = TimeSpan.FromSeconds(2),
        }, new HttpClient(), time ?? TimeProvider.System);

    void Sessions(AbdmApiVersion version, string basePath = "", int expiresIn = 1200, int status = 200) =>
        _gateway.Given(Request.Create().WithPath(basePath + AbdmPaths.Outbound(version, AbdmOutbound.Sessions)).UsingPost())
            .RespondWith(Response.Create().WithStatusCode(status).WithHeader("Content-Type", "application/json")
                .WithBody($$"""{"accessToken":"tok-{{Guid.NewGuid():N}}","expiresIn":{{expiresIn}},"tokenType":"bearer"}"""));

    void Answers(AbdmApiVersion version, AbdmOutbound call, int status, string body = "", string basePath = "") =>
        _gateway.Given(Request.Create().WithPath(basePath + AbdmPaths.Outbound(version, call)))
            .RespondWith(Response.Create().WithStatusCode(status).WithHeader("Content-Type", "application/json").WithBody(body));

    int SessionCalls => _gateway.LogEntries.Count(e => e.RequestMessage.Path.EndsWith("/sessions", StringComparison.Ordinal));

    static AbdmGatewayCall OnDiscover(string requestId = "req-1") => new(AbdmOutbound.OnDiscover, requestId,
        new DateTimeOffset(2026, 12, 3, 10, 0, 0, 587, TimeSpan.Zero),
        new JsonObject { ["transactionId"] = "t-1", ["response"] = new JsonObject { ["requestId"] = "gw-9" } }, HipId: "hip-1", LinkToken: "link-1");

    [Fact]
    public async Task V3_call_carries_its_id_and_time_in_headers_and_the_body_as_given()
    {
        Sessions(AbdmApiVersion.V3);
        Answers(AbdmApiVersion.V3, AbdmOutbound.OnDiscover, 202);

        var answer = await Client(AbdmApiVersion.V3).Send(OnDiscover());

        Assert.IsType<AbdmGatewayAnswer.Accepted>(answer);
        var call = _gateway.LogEntries.Single(e => e.RequestMessage.Path.EndsWith("/on-discover", StringComparison.Ordinal)).RequestMessage;
        Assert.Equal("/api/hiecm/user-initiated-linking/v3/patient/care-context/on-discover", call.Path);
        var headers = call.Headers!.ToDictionary(h => h.Key.ToUpperInvariant(), h => h.Value.Single());
        Assert.Equal("req-1", headers["REQUEST-ID"]);
        Assert.Equal("2026-12-03T10:00:00.587Z", headers["TIMESTAMP"]);
        Assert.Equal("sbx", headers["X-CM-ID"]);
        Assert.Equal("hip-1", headers["X-HIP-ID"]);
        Assert.Equal("link-1", headers["X-LINK-TOKEN"]);
        Assert.StartsWith("Bearer tok-", headers["AUTHORIZATION"]);
        var body = JsonNode.Parse(call.Body!)!;
        Assert.Equal("gw-9", body["response"]!["requestId"]!.GetValue<string>());
        Assert.Null(body["requestId"]);
    }

    [Fact]
    public async Task V05_call_carries_its_id_and_time_in_the_body_and_answers_in_resp()
    {
        Sessions(AbdmApiVersion.V05, "/gateway");
        Answers(AbdmApiVersion.V05, AbdmOutbound.OnDiscover, 202, basePath: "/gateway");

        await Client(AbdmApiVersion.V05, "/gateway").Send(OnDiscover());

        var call = _gateway.LogEntries.Single(e => e.RequestMessage.Path.EndsWith("/on-discover", StringComparison.Ordinal)).RequestMessage;
        Assert.Equal("/gateway/v0.5/care-contexts/on-discover", call.Path);
        Assert.DoesNotContain(call.Headers!.Keys, k => k.Equals("REQUEST-ID", StringComparison.OrdinalIgnoreCase));
        var body = JsonNode.Parse(call.Body!)!;
        Assert.Equal("req-1", body["requestId"]!.GetValue<string>());
        Assert.Equal("2026-12-03T10:00:00.587Z", body["timestamp"]!.GetValue<string>());
        Assert.Equal("gw-9", body["resp"]!["requestId"]!.GetValue<string>());
        Assert.Null(body["response"]);
        var session = JsonNode.Parse(_gateway.LogEntries.First(e => e.RequestMessage.Path.EndsWith("/sessions", StringComparison.Ordinal)).RequestMessage.Body!)!;
        Assert.Null(session["grantType"]);
    }

    [Fact]
    public async Task Session_token_is_shared_by_concurrent_callers()
    {
        Sessions(AbdmApiVersion.V3);
        Answers(AbdmApiVersion.V3, AbdmOutbound.OnDiscover, 202);
        var client = Client(AbdmApiVersion.V3);

        await Task.WhenAll(Enumerable.Range(0, 50).Select(i => client.Send(OnDiscover($"req-{i}"))));
        await client.Send(OnDiscover("one-more"));

        Assert.Equal(1, SessionCalls);
    }

    [Fact]
    public async Task Session_token_is_refreshed_before_it_expires()
    {
        Sessions(AbdmApiVersion.V3, expiresIn: 300);
        Answers(AbdmApiVersion.V3, AbdmOutbound.OnDiscover, 202);
        var clock = new GatewayClock(DateTimeOffset.UtcNow);
        var client = Client(AbdmApiVersion.V3, time: clock);

        await client.Send(OnDiscover());
        clock.Advance(TimeSpan.FromSeconds(200));
        await client.Send(OnDiscover());
        Assert.Equal(1, SessionCalls);
        clock.Advance(TimeSpan.FromSeconds(45)); // within a minute of its expiry
        await client.Send(OnDiscover());

        Assert.Equal(2, SessionCalls);
    }

    [Fact]
    public async Task A_401_gets_one_new_token_and_one_more_try()
    {
        Sessions(AbdmApiVersion.V3);
        Answers(AbdmApiVersion.V3, AbdmOutbound.OnDiscover, 401, """{"error":{"code":"ABDM-1017","message":"Invalid token"}}""");

        var answer = await Client(AbdmApiVersion.V3).Send(OnDiscover());

        var refused = Assert.IsType<AbdmGatewayAnswer.Refused>(answer);
        Assert.Equal(401, refused.Status);
        Assert.Equal(2, SessionCalls);
        Assert.Equal(2, _gateway.LogEntries.Count(e => e.RequestMessage.Path.EndsWith("/on-discover", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData(503)]
    [InlineData(500)]
    [InlineData(429)]
    public async Task Gateway_trouble_is_thrown_to_be_retried(int status)
    {
        Sessions(AbdmApiVersion.V3);
        Answers(AbdmApiVersion.V3, AbdmOutbound.OnDiscover, status);

        var thrown = await Assert.ThrowsAsync<AbdmGatewayUnavailableException>(() => Client(AbdmApiVersion.V3).Send(OnDiscover()));

        Assert.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture), thrown.Message);
    }

    [Fact]
    public async Task Unreachable_gateway_is_thrown_to_be_retried()
    {
        var client = new AbdmGatewayClient(new AbdmGatewayOptions { BaseUrl = new Uri("http://127.0.0.1:1"), ClientId = "c", ClientSecret = Secret }, new HttpClient(),
            TimeProvider.System);

        await Assert.ThrowsAsync<AbdmGatewayUnavailableException>(() => client.Send(OnDiscover()));
    }

    [Theory]
    [InlineData("""{"error":{"code":1000,"message":"No patient"}}""", "1000", "No patient")]
    [InlineData("""{"code":"ABDM-1017","message":"Bad token"}""", "ABDM-1017", "Bad token")]
    [InlineData("""{"error":{"code":"ABDM-1010","message":"Not found"}}""", "ABDM-1010", "Not found")]
    [InlineData("not json", null, "The gateway answered 400")]
    public async Task Refusal_reads_both_error_shapes(string body, string? code, string message)
    {
        Sessions(AbdmApiVersion.V3);
        Answers(AbdmApiVersion.V3, AbdmOutbound.OnDiscover, 400, body);

        var refused = Assert.IsType<AbdmGatewayAnswer.Refused>(await Client(AbdmApiVersion.V3).Send(OnDiscover()));

        Assert.Equal((400, code, message), (refused.Status, refused.Code, refused.Message));
    }

    [Fact]
    public async Task Huge_error_body_is_not_read_into_the_answer()
    {
        Sessions(AbdmApiVersion.V3);
        Answers(AbdmApiVersion.V3, AbdmOutbound.OnDiscover, 400, "{\"message\":\"" + new string('x', 1024 * 1024) + "\"}");

        var refused = Assert.IsType<AbdmGatewayAnswer.Refused>(await Client(AbdmApiVersion.V3).Send(OnDiscover()));

        Assert.True(refused.Message.Length <= 500);
    }

    [Fact]
    public async Task Failed_session_names_the_status_and_never_the_secret()
    {
        Sessions(AbdmApiVersion.V3, status: 401);

        var thrown = await Assert.ThrowsAsync<AbdmGatewayUnavailableException>(() => Client(AbdmApiVersion.V3).Send(OnDiscover()));

        Assert.Contains("401", thrown.Message);
        Assert.DoesNotContain(Secret, thrown.ToString());
        var session = JsonNode.Parse(_gateway.LogEntries.First().RequestMessage.Body!)!;
        Assert.Equal("client_credentials", session["grantType"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(AbdmApiVersion.V3, "/api/hiecm/gateway/v3/bridge/url")]
    [InlineData(AbdmApiVersion.V05, "/v1/bridges")]
    public async Task Bridge_url_is_registered_as_a_base_with_patch(AbdmApiVersion version, string path)
    {
        Sessions(version);
        Answers(version, AbdmOutbound.BridgeUrl, 202);

        await Client(version).RegisterBridgeUrl(new Uri("https://hub.example.gov.in/abdm/"));

        var call = _gateway.LogEntries.Single(e => e.RequestMessage.Path == path).RequestMessage;
        Assert.Equal("PATCH", call.Method);
        Assert.Equal("https://hub.example.gov.in/abdm", JsonNode.Parse(call.Body!)!["url"]!.GetValue<string>());
        await Assert.ThrowsAsync<ArgumentException>(() => Client(version).RegisterBridgeUrl(new Uri("https://hub.example.gov.in/abdm?x=1")));
    }

    [Fact]
    public void Every_option_problem_is_listed_at_once()
    {
        var problems = new AbdmGatewayOptions
        {
            BaseUrl = new Uri("http://gateway.example.in"),
            ClientId = "",
            ClientSecret = "",
            Timeout = TimeSpan.Zero,
            Paths = new Dictionary<AbdmOutbound, string> { [AbdmOutbound.OnDiscover] = "no-slash" },
        }.Problems();

        Assert.Equal(5, problems.Count);
    }

    sealed class GatewayClock(DateTimeOffset now) : TimeProvider
    {
        DateTimeOffset _now = now;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
