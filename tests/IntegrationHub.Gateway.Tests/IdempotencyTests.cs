using System.Net;
using System.Net.Http.Json;
using IntegrationHub.Contracts.Providers.Commands;

namespace IntegrationHub.Gateway.Tests;

public sealed class IdempotencyTests(GatewayFixture gateway) : IClassFixture<GatewayFixture>
{
    [Fact]
    public async Task Same_key_and_body_returns_the_original_request_and_sends_nothing_new()
    {
        var key = Guid.NewGuid().ToString();
        var token = gateway.Token(GatewayFixture.Health);
        var first = await gateway.Post(token, GatewayFixture.Body("replayed"), key);
        var original = (await first.Content.ReadFromJsonAsync<AcceptedBody>())!;
        await gateway.Recorder.WaitFor<ForwardRequest>(f => f.RequestId == original.RequestId);

        // Whitespace differs; the JSON is the same.
        var replay = await gateway.Post(token, GatewayFixture.Body("replayed").Replace(" ", ""), key);

        Assert.Equal(HttpStatusCode.Accepted, replay.StatusCode);
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(original.RequestId, (await replay.Content.ReadFromJsonAsync<AcceptedBody>())!.RequestId);
        Assert.Equal(original.StatusUrl, replay.Headers.Location?.OriginalString);
        // Messages reach the stand-in provider one at a time, in order: once a later request arrived, a replayed send would have too.
        var later = await gateway.Submit(GatewayFixture.Health, "after-replay");
        await gateway.Recorder.WaitFor<ForwardRequest>(f => f.RequestId == later);
        Assert.Single(gateway.Recorder.OfType<ForwardRequest>(), f => f.Payload.Contains("test-replayed"));
    }

    [Fact]
    public async Task Same_key_with_a_different_body_is_rejected_with_422()
    {
        var key = Guid.NewGuid().ToString();
        var token = gateway.Token(GatewayFixture.Health);
        Assert.Equal(HttpStatusCode.Accepted, (await gateway.Post(token, GatewayFixture.Body("first-body"), key)).StatusCode);

        var response = await gateway.Post(token, GatewayFixture.Body("second-body"), key);

        await response.AssertProblem(HttpStatusCode.UnprocessableEntity, "different body");
        Assert.DoesNotContain(gateway.Recorder.OfType<ForwardRequest>(), f => f.Payload.Contains("test-second-body"));
    }

    [Fact]
    public async Task Keys_belong_to_a_department_so_another_department_may_use_the_same_key()
    {
        var key = Guid.NewGuid().ToString();
        var health = await gateway.Post(gateway.Token(GatewayFixture.Health), GatewayFixture.Body("shared-key"), key);
        var tax = await gateway.Post(gateway.Token(GatewayFixture.Tax), GatewayFixture.Body("shared-key"), key);

        Assert.Equal(HttpStatusCode.Accepted, tax.StatusCode);
        Assert.False(tax.Headers.Contains("Idempotent-Replayed"));
        Assert.NotEqual((await health.Content.ReadFromJsonAsync<AcceptedBody>())!.RequestId, (await tax.Content.ReadFromJsonAsync<AcceptedBody>())!.RequestId);
    }

    [Fact]
    public async Task Key_longer_than_255_characters_gets_400()
    {
        var response = await gateway.Post(gateway.Token(GatewayFixture.Health), GatewayFixture.Body("long-key"), new string('k', 256));

        var problem = await response.AssertProblem(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("Idempotency-Key", out _));
    }
}
