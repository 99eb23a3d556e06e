using System.Net;
using System.Net.Http.Json;
using IntegrationHub.Contracts.Providers.Commands;
using IntegrationHub.Contracts.Requests.Events;
using IntegrationHub.Testing;

namespace IntegrationHub.Gateway.Tests;

/// <summary>
/// The gateway's real Program storing in a fresh PostgreSQL database (through HubTransactions and the outbox).
/// The transport stays in memory so these tests never share the fixed hub.gateway / hub.providers queues of the broker.
/// </summary>
public sealed class PostgreSqlGatewayTests(DurableInfrastructure database) : IClassFixture<DurableInfrastructure>, IAsyncLifetime
{
    readonly GatewayFixture _gateway = new();

    public Task InitializeAsync() => _gateway.Start(new()
    {
        ["Hub:Persistence"] = "PostgreSql",
        ["ConnectionStrings:Postgres"] = database.PostgresConnectionString,
    });

    public Task DisposeAsync() => _gateway.DisposeAsync();

    [Fact]
    public async Task Accepted_request_is_stored_forwarded_and_followed_to_completion()
    {
        var id = await _gateway.Submit(GatewayFixture.Health, "durable");
        await _gateway.Recorder.WaitFor<ForwardRequest>(f => f.RequestId == id);
        Assert.Equal(1, await PostgresServer.Scalar<long>(database.PostgresConnectionString,
            $"SELECT count(*) FROM gateway.requests WHERE request_id = '{id}' AND department = 'health'"));

        await _gateway.ProvidersBus.Publish(new RequestCompleted(id, GatewayFixture.Health, """{ "certificate": "BC-9" }""", DateTimeOffset.UtcNow));

        var token = _gateway.Token(GatewayFixture.Health);
        StatusBody? status = null;
        await Eventually.Until(async () =>
        {
            status = await (await _gateway.Get(token, $"/api/v1/requests/{id}")).Content.ReadFromJsonAsync<StatusBody>();
            return status!.Status == "completed";
        }, TimeSpan.FromSeconds(30), "the request shows completed");
        Assert.Equal(["accepted", "completed"], status!.Timeline.Select(t => t.Step));
        await Eventually.Until(async () => await PostgresServer.Scalar<long>(database.PostgresConnectionString,
            "SELECT count(*) FROM hub.outbox") == 0, TimeSpan.FromSeconds(30), "the outbox sent everything");
    }

    [Fact]
    public async Task Idempotent_replay_and_conflict_work_on_postgresql()
    {
        var key = Guid.NewGuid().ToString();
        var token = _gateway.Token(GatewayFixture.Health);
        var first = await (await _gateway.Post(token, GatewayFixture.Body("durable-key"), key)).Content.ReadFromJsonAsync<AcceptedBody>();
        var stored = await RequestCount();

        var replay = await _gateway.Post(token, GatewayFixture.Body("durable-key"), key);
        var conflict = await _gateway.Post(token, GatewayFixture.Body("durable-other"), key);

        Assert.Equal(first!.RequestId, (await replay.Content.ReadFromJsonAsync<AcceptedBody>())!.RequestId);
        await conflict.AssertProblem(HttpStatusCode.UnprocessableEntity);
        Assert.Equal(stored, await RequestCount());
    }

    Task<long> RequestCount() => PostgresServer.Scalar<long>(database.PostgresConnectionString, "SELECT count(*) FROM gateway.requests");
}
