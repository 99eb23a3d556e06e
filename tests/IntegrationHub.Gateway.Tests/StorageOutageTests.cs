using System.Net;
using System.Net.Http.Json;
using IntegrationHub.Contracts.Providers.Commands;
using IntegrationHub.Testing;

namespace IntegrationHub.Gateway.Tests;

/// <summary>The gateway on RabbitMQ + PostgreSQL while its tables cannot be written.</summary>
public sealed class StorageOutageTests(DurableGatewayFixture gateway) : IClassFixture<DurableGatewayFixture>
{
    [Fact]
    public async Task Request_that_cannot_be_stored_gets_503_and_the_same_key_succeeds_once_storage_is_back()
    {
        var token = gateway.Token(GatewayFixture.Health);
        var key = Guid.NewGuid().ToString();
        var database = gateway.Durable!.PostgresConnectionString;

        await PostgresServer.Execute("ALTER TABLE hub.status_resources RENAME TO status_resources_away", database);
        try
        {
            using var refused = await gateway.Post(token, GatewayFixture.Body("outage"), key);
            await refused.AssertProblem(HttpStatusCode.ServiceUnavailable, "same Idempotency-Key");
            Assert.Equal("5", refused.Headers.RetryAfter?.ToString());
            Assert.Equal(0, await gateway.Query<long>($"SELECT count(*) FROM hub.idempotency_keys WHERE idempotency_key = '{key}'"));
        }
        finally
        {
            await PostgresServer.Execute("ALTER TABLE hub.status_resources_away RENAME TO status_resources", database);
        }

        using var accepted = await gateway.Post(token, GatewayFixture.Body("outage"), key);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.False(accepted.Headers.Contains("Idempotent-Replayed"));
        var id = (await accepted.Content.ReadFromJsonAsync<AcceptedBody>())!.RequestId;
        await gateway.Recorder.WaitFor<ForwardRequest>(f => f.RequestId == id);
        await gateway.SentMessagesArrived();
        Assert.Single(gateway.Recorder.OfType<ForwardRequest>(), f => f.Tenant == GatewayFixture.Health);
    }
}
