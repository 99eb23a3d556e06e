using System.Net;
using System.Net.Http.Json;
using IntegrationHub.Contracts.Providers.Commands;
using IntegrationHub.Contracts.Requests.Events;
using IntegrationHub.Testing;

namespace IntegrationHub.Gateway.Tests;

/// <summary><c>Idempotency-Key</c>: replay, conflict, per-department keys, concurrent use; in memory and on RabbitMQ + PostgreSQL.</summary>
public abstract class IdempotencyContract<TGateway>(TGateway gateway) : IClassFixture<TGateway> where TGateway : GatewayFixture
{
    [Fact]
    public async Task Same_key_and_body_returns_the_original_request_and_sends_nothing_new()
    {
        var key = Guid.NewGuid().ToString();
        var token = gateway.Token(GatewayFixture.Health);
        var first = await gateway.Post(token, GatewayFixture.Body("replayed"), key);
        var original = (await first.Content.ReadFromJsonAsync<AcceptedBody>())!;
        await gateway.Recorder.WaitFor<ForwardRequest>(f => f.RequestId == original.RequestId);
        var stored = await StoredRequests();

        // Whitespace differs; the JSON is the same.
        var replay = await gateway.Post(token, GatewayFixture.Body("replayed").Replace(" ", ""), key);

        Assert.Equal(HttpStatusCode.Accepted, replay.StatusCode);
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(original.RequestId, (await replay.Content.ReadFromJsonAsync<AcceptedBody>())!.RequestId);
        Assert.Equal(original.StatusUrl, replay.Headers.Location?.OriginalString);
        await gateway.SentMessagesArrived();
        Assert.Single(gateway.Recorder.OfType<ForwardRequest>(), f => f.Payload.Contains("test-replayed"));
        Assert.Single(gateway.Recorder.OfType<RequestAccepted>(), a => a.RequestId == original.RequestId);
        Assert.Equal(stored, await StoredRequests());
    }

    [Fact]
    public async Task Same_key_with_a_different_body_is_rejected_with_422()
    {
        var key = Guid.NewGuid().ToString();
        var token = gateway.Token(GatewayFixture.Health);
        Assert.Equal(HttpStatusCode.Accepted, (await gateway.Post(token, GatewayFixture.Body("first-body"), key)).StatusCode);
        var stored = await StoredRequests();

        var response = await gateway.Post(token, GatewayFixture.Body("second-body"), key);

        await response.AssertProblem(HttpStatusCode.UnprocessableEntity, "different body");
        await gateway.SentMessagesArrived();
        Assert.DoesNotContain(gateway.Recorder.OfType<ForwardRequest>(), f => f.Payload.Contains("test-second-body"));
        Assert.Equal(stored, await StoredRequests());
    }

    [Fact]
    public async Task Concurrent_posts_with_the_same_key_store_one_request_and_send_it_once()
    {
        const int posts = 20;
        var key = Guid.NewGuid().ToString();
        var marker = "same-key-" + Guid.NewGuid().ToString("N");
        var token = gateway.Token(GatewayFixture.Health);
        var stored = await StoredRequests();

        var responses = await Task.WhenAll(Enumerable.Range(0, posts).Select(_ => Task.Run(() => gateway.Post(token, GatewayFixture.Body(marker), key))));

        // Each answer is the one request (202, replayed but for the first), or 409 "still being stored"; never a second request.
        var answers = await Task.WhenAll(responses.Select(async r => (r.StatusCode, Replayed: r.Headers.Contains("Idempotent-Replayed"),
            Body: r.StatusCode == HttpStatusCode.Accepted ? await r.Content.ReadFromJsonAsync<AcceptedBody>() : null)));
        Assert.All(answers, a => Assert.Contains(a.StatusCode, new[] { HttpStatusCode.Accepted, HttpStatusCode.Conflict }));
        var accepted = answers.Where(a => a.StatusCode == HttpStatusCode.Accepted).ToList();
        var id = Assert.Single(accepted.Select(a => a.Body!.RequestId).Distinct());
        Assert.Single(accepted, a => !a.Replayed);
        Assert.Equal(HttpStatusCode.OK, (await gateway.Get(token, $"/api/v1/requests/{id}")).StatusCode);

        await gateway.SentMessagesArrived();
        var forwarded = Assert.Single(gateway.Recorder.OfType<ForwardRequest>(), f => f.Payload.Contains(marker));
        Assert.Equal(id, forwarded.RequestId);
        Assert.Single(gateway.Recorder.OfType<RequestAccepted>(), a => a.RequestId == id);
        Assert.Equal(stored + 1, await StoredRequests());
        if (gateway.Durable is not null)
            Assert.Equal(1, await gateway.Query<long>($"SELECT count(*) FROM hub.idempotency_keys WHERE idempotency_key = '{key}'"));
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

    /// <summary>Requests of the health department the gateway keeps: in its database; in memory, those it forwarded.</summary>
    async Task<long> StoredRequests()
    {
        if (gateway.Durable is not null)
            return await gateway.Query<long>($"SELECT count(*) FROM hub.status_resources WHERE department = '{GatewayFixture.Health}'");
        await gateway.SentMessagesArrived();
        return gateway.Recorder.OfType<ForwardRequest>().Count(f => f.Tenant == GatewayFixture.Health);
    }
}

public sealed class Idempotency_InMemory(GatewayFixture gateway) : IdempotencyContract<GatewayFixture>(gateway);

public sealed class Idempotency_RabbitMqPostgreSql(DurableGatewayFixture gateway) : IdempotencyContract<DurableGatewayFixture>(gateway);
