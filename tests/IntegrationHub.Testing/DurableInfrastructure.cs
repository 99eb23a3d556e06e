using IntegrationHub.Hosting;
using System.Text;
using IntegrationHub.Testing;
using Npgsql;
using RabbitMQ.Client;
using Rebus.Messages;

namespace IntegrationHub.Testing;

/// <summary>
/// The production combination: the hub's RabbitMQ transport on the real broker, and PostgreSQL storage in a
/// database of this fixture's own (created, migrated by the hub at start-up, dropped afterwards).
/// </summary>
public sealed class DurableInfrastructure : IHubInfrastructure
{
    readonly string _database = "hub_test_" + Guid.NewGuid().ToString("N")[..8];

    public string Name => "rabbitmq+postgresql";

    public string PostgresConnectionString => new NpgsqlConnectionStringBuilder(PostgresServer.ConnectionString) { Database = _database }.ConnectionString;

    public Dictionary<string, string?> Settings() => new()
    {
        ["Hub:Transport"] = "RabbitMq",
        ["Hub:Persistence"] = "PostgreSql",
        ["ConnectionStrings:RabbitMq"] = RabbitMqBroker.ConnectionString,
        ["ConnectionStrings:Postgres"] = PostgresConnectionString,
    };

    public async Task<IReadOnlyList<TransportMessage>> TakeMessages(HubTestHost host, string queue, int count)
    {
        var taken = new List<TransportMessage>();
        await Eventually.Until(async () =>
        {
            while (taken.Count < count && await RabbitMqBroker.GetAsync(queue) is { } result)
                taken.Add(ToTransportMessage(result));
            return taken.Count >= count;
        }, TimeSpan.FromSeconds(30), $"{count} message(s) in {queue}");
        return taken;
    }

    public Task DeliverRaw(HubTestHost host, string queue, Dictionary<string, string> headers, byte[] body) =>
        RabbitMqBroker.WithChannelAsync(async channel =>
        {
            var properties = new BasicProperties
            {
                MessageId = headers.GetValueOrDefault(Rebus.Messages.Headers.MessageId),
                Persistent = true,
                Headers = headers.ToDictionary(h => h.Key, h => (object?)Encoding.UTF8.GetBytes(h.Value)),
            };
            await channel.BasicPublishAsync("", queue, mandatory: true, properties, body);
        });

    public async Task CleanUp(params string[] queues)
    {
        foreach (var queue in queues)
            await RabbitMqBroker.DeleteQueueAsync(queue);
    }

    public Task InitializeAsync() => PostgresServer.Execute($"CREATE DATABASE {_database} OWNER hub");

    public Task DisposeAsync() => PostgresServer.Execute($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)");

    static TransportMessage ToTransportMessage(BasicGetResult result)
    {
        var headers = (result.BasicProperties.Headers ?? new Dictionary<string, object?>())
            .Where(h => h.Value is byte[])
            .ToDictionary(h => h.Key, h => Encoding.UTF8.GetString((byte[])h.Value!));
        return new TransportMessage(headers, result.Body.ToArray());
    }
}

/// <summary>The local PostgreSQL server the tests use (scripts/infra.sh starts it).</summary>
public static class PostgresServer
{
    public static string ConnectionString =>
        Environment.GetEnvironmentVariable("ConnectionStrings__Postgres") ?? HubOptions.DefaultPostgres;

    public static async Task Execute(string sql, string? connectionString = null)
    {
        await using var connection = new NpgsqlConnection(connectionString ?? ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public static async Task<T?> Scalar<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        var value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? default : (T)Convert.ChangeType(value, typeof(T));
    }
}
