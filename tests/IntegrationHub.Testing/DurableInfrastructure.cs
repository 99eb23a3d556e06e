using IntegrationHub.Hosting;
using System.Text;
using IntegrationHub.Testing;
using Npgsql;
using RabbitMQ.Client;
using Rebus.Messages;

namespace IntegrationHub.Testing;

/// <summary>
/// The production combination: the hub's RabbitMQ transport on the real broker, and PostgreSQL storage in a
/// database of this fixture's own (created, migrated by the hub at start-up, dropped afterwards). Queues live in the
/// broker's shared virtual host, so tests use endpoint names of their own (<see cref="Names.UniqueEndpoint"/>);
/// <see cref="IsolatedDurableInfrastructure"/> gives the fixture a virtual host of its own instead.
/// </summary>
public class DurableInfrastructure : IHubInfrastructure
{
    readonly string _database = "hub_test_" + Guid.NewGuid().ToString("N")[..8];
    readonly bool _ownVirtualHost;
    RabbitMqVirtualHost? _broker;

    public DurableInfrastructure() : this(ownVirtualHost: false)
    {
    }

    /// <param name="ownVirtualHost">Create a RabbitMQ virtual host for this fixture (and delete it afterwards).</param>
    protected DurableInfrastructure(bool ownVirtualHost)
    {
        _ownVirtualHost = ownVirtualHost;
        if (!ownVirtualHost) _broker = RabbitMqVirtualHost.Shared;
    }

    public virtual string Name => "rabbitmq+postgresql";

    /// <summary>Label in the name of the fixture's own virtual host (<c>hub-test/&lt;label&gt;-&lt;guid8&gt;</c>), e.g. the endpoint tested.</summary>
    public string VirtualHostLabel { get; init; } = "durable";

    /// <summary>The virtual host the endpoints use: the shared one, or the fixture's own once initialized.</summary>
    public RabbitMqVirtualHost Broker => _broker
        ?? throw new InvalidOperationException($"{GetType().Name} creates its RabbitMQ virtual host in InitializeAsync; use it after that.");

    public string RabbitMqConnectionString => Broker.ConnectionString;

    public string PostgresConnectionString => new NpgsqlConnectionStringBuilder(PostgresServer.ConnectionString) { Database = _database }.ConnectionString;

    public Dictionary<string, string?> Settings() => new()
    {
        ["Hub:Transport"] = "RabbitMq",
        ["Hub:Persistence"] = "PostgreSql",
        ["ConnectionStrings:RabbitMq"] = RabbitMqConnectionString,
        ["ConnectionStrings:Postgres"] = PostgresConnectionString,
    };

    public async Task<IReadOnlyList<TransportMessage>> TakeMessages(HubTestHost host, string queue, int count)
    {
        var taken = new List<TransportMessage>();
        await Eventually.Until(async () =>
        {
            while (taken.Count < count && await Broker.GetAsync(queue) is { } result)
                taken.Add(ToTransportMessage(result));
            return taken.Count >= count;
        }, TimeSpan.FromSeconds(30), $"{count} message(s) in {queue}");
        return taken;
    }

    public Task DeliverRaw(HubTestHost host, string queue, Dictionary<string, string> headers, byte[] body) =>
        Broker.WithChannelAsync(async channel =>
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
            await Broker.DeleteQueueAsync(queue);
    }

    public async Task InitializeAsync()
    {
        await PostgresServer.Execute($"CREATE DATABASE {_database} OWNER hub");
        if (!_ownVirtualHost) return;
        try
        {
            _broker = await RabbitMqVirtualHost.CreateAsync(VirtualHostLabel);
        }
        catch
        {
            await DropDatabase();
            throw;
        }
    }

    /// <summary>Drops the database and deletes the fixture's own virtual host (with everything in it).</summary>
    public async Task DisposeAsync()
    {
        try
        {
            await DropDatabase();
        }
        finally
        {
            if (_ownVirtualHost && _broker is not null)
                await _broker.DisposeAsync();
        }
    }

    Task DropDatabase() => PostgresServer.DropDatabase(_database);

    static TransportMessage ToTransportMessage(BasicGetResult result)
    {
        var headers = (result.BasicProperties.Headers ?? new Dictionary<string, object?>())
            .Where(h => h.Value is byte[])
            .ToDictionary(h => h.Key, h => Encoding.UTF8.GetString((byte[])h.Value!));
        return new TransportMessage(headers, result.Body.ToArray());
    }
}

/// <summary>
/// <see cref="DurableInfrastructure"/> in a RabbitMQ virtual host of the fixture's own (see <see cref="RabbitMqVirtualHost"/>):
/// for endpoints whose queue names are fixed (<c>hub.gateway</c>, <c>hub.providers</c>, <c>hub.webhooks</c>, <c>hub.error</c>,
/// exchange <c>hub.events</c>), run with their production names, in parallel with other fixtures. The fixture
/// owns the whole virtual host, so a test may also check that <c>hub.error</c> stayed empty.
/// </summary>
public sealed class IsolatedDurableInfrastructure() : DurableInfrastructure(ownVirtualHost: true)
{
    public override string Name => "rabbitmq(own vhost)+postgresql";
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

    /// <summary>
    /// Drops a test database. FORCE ends the test's own connections, but not an autovacuum worker that happens to be in
    /// the database (it belongs to no role the <c>hub</c> user may signal: 42501), so the drop is tried again until that
    /// worker is gone.
    /// </summary>
    public static Task DropDatabase(string database, string? connectionString = null) => Eventually.Until(async () =>
    {
        try
        {
            await Execute($"DROP DATABASE IF EXISTS {database} WITH (FORCE)", connectionString);
            return true;
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.ObjectInUse)
        {
            return false;
        }
    }, TimeSpan.FromSeconds(60), $"database {database} dropped (an autovacuum worker in it ends on its own)");

    public static async Task<T?> Scalar<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        var value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? default : (T)Convert.ChangeType(value, typeof(T));
    }
}
