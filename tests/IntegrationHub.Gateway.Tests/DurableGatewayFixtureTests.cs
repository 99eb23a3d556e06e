using System.Text.Json;
using IntegrationHub.Testing;
using Npgsql;

namespace IntegrationHub.Gateway.Tests;

/// <summary>What the RabbitMQ + PostgreSQL gateway fixture promises: production names, in a virtual host and database of its own, removed afterwards.</summary>
public sealed class DurableGatewayFixtureTests(DurableGatewayFixture gateway) : IClassFixture<DurableGatewayFixture>
{
    [Fact]
    public async Task Gateway_declares_its_production_queues_and_bindings_in_the_fixtures_own_virtual_host()
    {
        var vhost = gateway.Durable!.Broker.Name;
        Assert.StartsWith(RabbitMqVirtualHost.TestPrefix + "gateway-", vhost);
        Assert.Contains(Uri.EscapeDataString(vhost), gateway.Durable.RabbitMqConnectionString);
        var path = Uri.EscapeDataString(vhost);

        foreach (var queue in new[] { "hub.gateway", "hub.providers", "hub.error" })
        {
            using var details = await RabbitMqBroker.GetManagementJsonAsync($"queues/{path}/{queue}");
            Assert.True(details is not null, $"queue {queue} exists in virtual host {vhost}");
            Assert.Equal(vhost, details.RootElement.GetProperty("vhost").GetString());
        }
        using var bindings = await RabbitMqBroker.GetManagementJsonAsync($"exchanges/{path}/hub.events/bindings/source");
        var destinations = bindings!.RootElement.EnumerateArray().Select(b => b.GetProperty("destination").GetString()).ToHashSet();
        Assert.Superset(new HashSet<string?> { "hub.gateway", "hub.providers" }, destinations);
        await Eventually.Until(async () =>
        {
            using var connections = await RabbitMqBroker.GetManagementJsonAsync($"vhosts/{path}/connections");
            return connections!.RootElement.ValueKind == JsonValueKind.Array && connections.RootElement.GetArrayLength() > 0;
        }, TimeSpan.FromSeconds(30), $"the gateway is connected to virtual host {vhost}");
    }

    [Fact]
    public async Task Fixture_deletes_its_virtual_host_and_database_when_disposed()
    {
        var other = new DurableGatewayFixture();
        await other.InitializeAsync();
        string vhost, database;
        try
        {
            vhost = other.Durable!.Broker.Name;
            database = new NpgsqlConnectionStringBuilder(other.Durable.PostgresConnectionString).Database!;
            await other.Submit(GatewayFixture.Health, "before-dispose");
            await other.SentMessagesArrived();
            Assert.True(await other.Durable.Broker.ExistsAsync());
        }
        finally
        {
            await other.DisposeAsync();
        }

        Assert.False(await other.Durable!.Broker.ExistsAsync(), $"virtual host {vhost} is deleted");
        Assert.Equal(0, await PostgresServer.Scalar<long>(PostgresServer.ConnectionString, $"SELECT count(*) FROM pg_database WHERE datname = '{database}'"));
    }
}
