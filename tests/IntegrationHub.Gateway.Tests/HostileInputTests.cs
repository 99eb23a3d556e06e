using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using IntegrationHub.Contracts.Providers.Commands;
using IntegrationHub.Testing;

namespace IntegrationHub.Gateway.Tests;

/// <summary>What a hostile or broken client sends gets a 400 problem, never a 500, and nothing of it is stored or sent.</summary>
public sealed class HostileInputTests(GatewayFixture gateway) : IClassFixture<GatewayFixture>
{
    Task<HttpResponseMessage> PostBytes(byte[] body, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/requests") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", gateway.Token(GatewayFixture.Health));
        if (idempotencyKey is not null) request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        return gateway.Http.SendAsync(request);
    }

    static byte[] WithInvalidUtf8(string json, string marker)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var at = json.IndexOf(marker, StringComparison.Ordinal);
        bytes[at] = 0xFF; // a byte UTF-8 never has
        return bytes;
    }

    [Theory]
    [InlineData("service")]
    [InlineData("payload")]
    public async Task Invalid_utf8_in_the_body_gets_400_and_nothing_is_sent(string where)
    {
        var marker = "hostile-" + Guid.NewGuid().ToString("N")[..8];
        var json = where == "service"
            ? $$"""{ "service": "#{{GatewayFixture.Service}}", "payload": { "child": "{{marker}}" } }"""
            : $$"""{ "service": "{{GatewayFixture.Service}}", "payload": { "child": "{{marker}}", "name": "#" } }""";

        using var response = await PostBytes(WithInvalidUtf8(json, "#"));

        await response.AssertValidationProblem("body", "UTF-8");
        await gateway.SentMessagesArrived();
        Assert.DoesNotContain(gateway.Recorder.OfType<ForwardRequest>(), f => f.Payload.Contains(marker));
    }

    [Theory]
    [InlineData("""{ "service": "birth-certificate", "payload": { "child": "a\u0000b" } }""", "NUL")]
    [InlineData("""{ "service": "birth-certificate", "payload": { "ch\u0000ild": "a" } }""", "NUL")]
    [InlineData("""{ "service": "birth-certificate\u0000", "payload": {} }""", "NUL")]
    [InlineData("""{ "service": "birth-certificate", "payload": { "child": "\udc00" } }""", "surrogate")]
    public async Task Text_the_hub_cannot_keep_gets_400(string json, string reason)
    {
        using var response = await PostBytes(Encoding.UTF8.GetBytes(json));

        await response.AssertValidationProblem("body", reason);
    }

    [Fact]
    public async Task Nesting_deeper_than_the_limit_gets_400()
    {
        var deep = new string('[', 200) + new string(']', 200);

        using var response = await PostBytes(Encoding.UTF8.GetBytes($$"""{ "service": "birth-certificate", "payload": { "deep": {{deep}} } }"""));

        await response.AssertValidationProblem("body", "depth");
    }

    [Fact]
    public async Task Huge_number_is_passed_on_as_it_was_sent()
    {
        var marker = "huge-" + Guid.NewGuid().ToString("N")[..8];

        using var response = await PostBytes(Encoding.UTF8.GetBytes(
            $$"""{ "service": "birth-certificate", "payload": { "child": "{{marker}}", "amount": 1e999999, "id": 123456789012345678901234567890 } }"""));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var forwarded = (ForwardRequest)(await gateway.Recorder.WaitFor<ForwardRequest>(f => f.Payload.Contains(marker))).Message;
        Assert.Contains("1e999999", forwarded.Payload);
        Assert.Contains("123456789012345678901234567890", forwarded.Payload);
    }

    // (A NUL in the path is refused by Kestrel itself, before any of the hub's code.)
    [Theory]
    [InlineData("/api/v1/requests/req_1?x=%00")]
    [InlineData("/api/v1/requests/req_1?x=%FF%FE")]
    public async Task Nul_or_invalid_utf8_in_the_query_gets_400(string path)
    {
        using var response = await gateway.Get(gateway.Token(GatewayFixture.Health), path);

        await response.AssertProblem(HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("key\u0001")]
    [InlineData("key\u007f")]
    public async Task Idempotency_key_with_control_characters_gets_400(string key)
    {
        using var response = await PostBytes(Encoding.UTF8.GetBytes(GatewayFixture.Body("bad-key")), key);

        await response.AssertValidationProblem("Idempotency-Key", "printable");
    }

    [Fact]
    public async Task Department_ids_are_one_tenant_whatever_their_case()
    {
        var upper = await gateway.Post(gateway.Token("HEALTH"), GatewayFixture.Body("case"));
        Assert.Equal(HttpStatusCode.Accepted, upper.StatusCode);
        var accepted = await upper.Content.ReadFromJsonAsync<AcceptedBody>();

        var read = await gateway.Get(gateway.Token("health"), $"/api/v1/requests/{accepted!.RequestId}");
        var readMixed = await gateway.Get(gateway.Token("Health"), $"/api/v1/requests/{accepted.RequestId}");

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(HttpStatusCode.OK, readMixed.StatusCode);
        var forwarded = (ForwardRequest)(await gateway.Recorder.WaitFor<ForwardRequest>(f => f.RequestId == accepted.RequestId)).Message;
        Assert.Equal("health", forwarded.Tenant);
    }
}
