using System.Net;
using System.Net.Http.Json;
using IntegrationHub.Contracts.Providers.Commands;
using IntegrationHub.Contracts.Requests.Events;

namespace IntegrationHub.Gateway.Tests;

/// <summary>Many requests at once through the HTTP pipeline; in memory and on RabbitMQ + PostgreSQL.</summary>
public abstract class BurstContract<TGateway>(TGateway gateway) : IClassFixture<TGateway> where TGateway : GatewayFixture
{
    const int Requests = 200;

    [Fact]
    public async Task Burst_of_200_concurrent_posts_stores_each_request_once_and_sends_each_exactly_once()
    {
        var token = gateway.Token(GatewayFixture.Burst);

        var responses = await Task.WhenAll(Enumerable.Range(0, Requests).Select(i => Task.Run(async () =>
        {
            using var response = await gateway.Post(token, GatewayFixture.Body($"burst-{i}"), idempotencyKey: $"burst-{i}");
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"request {i}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            return (await response.Content.ReadFromJsonAsync<AcceptedBody>())!.RequestId;
        })));

        var ids = responses.ToHashSet();
        Assert.Equal(Requests, ids.Count);
        await gateway.SentMessagesArrived();
        var forwarded = gateway.Recorder.All.Where(r => r.Message is ForwardRequest { Tenant: GatewayFixture.Burst }).ToList();
        Assert.Equal(Requests, forwarded.Count);
        Assert.Equal(ids, forwarded.Select(r => ((ForwardRequest)r.Message).RequestId).ToHashSet());
        Assert.Equal(Requests, forwarded.Select(r => r.Headers[Rebus.Messages.Headers.MessageId]).Distinct().Count());
        Assert.Equal(ids, gateway.Recorder.OfType<RequestAccepted>().Where(a => a.Tenant == GatewayFixture.Burst).Select(a => a.RequestId).ToHashSet());
        Assert.Equal(Requests, gateway.Recorder.OfType<RequestAccepted>().Count(a => a.Tenant == GatewayFixture.Burst));
        foreach (var id in ids)
            Assert.Equal(HttpStatusCode.OK, (await gateway.Get(token, $"/api/v1/requests/{id}")).StatusCode);

        if (gateway.Durable is { } durable)
        {
            Assert.Equal(Requests, await gateway.Query<long>($"SELECT count(DISTINCT id) FROM hub.status_resources WHERE department = '{GatewayFixture.Burst}'"));
            Assert.Equal(Requests, await gateway.Query<long>($"SELECT count(*) FROM hub.status_resources WHERE department = '{GatewayFixture.Burst}'"));
            Assert.Equal(Requests, await gateway.Query<long>($"SELECT count(*) FROM hub.idempotency_keys WHERE department = '{GatewayFixture.Burst}'"));
            // Rows leave the outbox after the broker confirmed them, a moment after the messages arrive.
            await IntegrationHub.Testing.Eventually.Until(async () => await gateway.Query<long>("SELECT count(*) FROM hub.outbox") == 0, TimeSpan.FromSeconds(30),
                "the outbox emptied");
            // The virtual host is this fixture's alone: nothing in its error queue means no message failed.
            Assert.Equal(0u, await durable.Broker.CountMessagesIfDeclaredAsync("hub.error"));
        }
    }
}

public sealed class Burst_InMemory(GatewayFixture gateway) : BurstContract<GatewayFixture>(gateway);

public sealed class Burst_RabbitMqPostgreSql(DurableGatewayFixture gateway) : BurstContract<DurableGatewayFixture>(gateway);
