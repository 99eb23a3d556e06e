using System.Net;
using IntegrationHub.Contracts.Providers.Commands;
using IntegrationHub.Testing;

namespace IntegrationHub.Gateway.Tests;

public sealed class LimitsTests(GatewayFixture gateway) : IClassFixture<GatewayFixture>
{
    [Fact]
    public async Task Body_over_the_size_limit_gets_413_and_is_not_sent()
    {
        var big = $$"""{ "service": "{{GatewayFixture.Service}}", "payload": { "child": "test-too-large", "pad": "{{new string('x', GatewayFixture.MaxRequestBytes)}}" } }""";

        var response = await gateway.Post(gateway.Token(GatewayFixture.Health), big);

        await response.AssertProblem(HttpStatusCode.RequestEntityTooLarge, GatewayFixture.MaxRequestBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await gateway.SentMessagesArrived();
        Assert.DoesNotContain(gateway.Recorder.OfType<ForwardRequest>(), f => f.Payload.Contains("test-too-large"));
    }

    [Fact]
    public async Task Department_over_its_requests_per_minute_gets_429_with_retry_after()
    {
        var token = gateway.Token(GatewayFixture.Limited);
        Assert.Equal(HttpStatusCode.NotFound, (await gateway.Get(token, "/api/v1/requests/req_1")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await gateway.Get(token, "/api/v1/requests/req_2")).StatusCode);

        var response = await gateway.Get(token, "/api/v1/requests/req_3");

        await response.AssertProblem(HttpStatusCode.TooManyRequests, "2 requests per minute");
        var retryAfter = response.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        // Other departments are not affected.
        Assert.Equal(HttpStatusCode.NotFound, (await gateway.Get(gateway.Token(GatewayFixture.Tax), "/api/v1/requests/req_4")).StatusCode);
    }

    [Fact]
    public async Task Department_over_its_requests_per_minute_gets_429_on_post_too_whatever_the_case_of_its_id_and_nothing_is_sent()
    {
        var marker = "over-limit-" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal(HttpStatusCode.Accepted, (await gateway.Post(gateway.Token(GatewayFixture.LimitedPosts), GatewayFixture.Body("one"))).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await gateway.Post(gateway.Token(GatewayFixture.LimitedPosts.ToUpperInvariant()), GatewayFixture.Body("two"))).StatusCode);

        var response = await gateway.Post(gateway.Token("Limited-Posts"), GatewayFixture.Body(marker));

        await response.AssertProblem(HttpStatusCode.TooManyRequests, "2 requests per minute");
        Assert.NotNull(response.Headers.RetryAfter?.Delta);
        await gateway.SentMessagesArrived();
        Assert.DoesNotContain(gateway.Recorder.OfType<ForwardRequest>(), f => f.Payload.Contains(marker));
    }
}
