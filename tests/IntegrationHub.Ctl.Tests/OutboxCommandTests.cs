using IntegrationHub.Hosting.Persistence;
using IntegrationHub.Testing;
using Npgsql;

namespace IntegrationHub.Ctl.Tests;

/// <summary><c>hubctl outbox list | retry</c> against a migrated database with parked and waiting messages.</summary>
public sealed class OutboxCommandTests : IAsyncLifetime
{
    readonly string _database = "hub_ctl_" + Guid.NewGuid().ToString("N")[..8];

    string ConnectionString => new NpgsqlConnectionStringBuilder(PostgresServer.ConnectionString) { Database = _database }.ConnectionString;

    public async Task InitializeAsync()
    {
        await PostgresServer.Execute($"CREATE DATABASE {_database} OWNER hub");
        await HubDatabase.MigrateAsync(ConnectionString);
    }

    public Task DisposeAsync() => PostgresServer.DropDatabase(_database);

    [Fact]
    public async Task Parked_messages_are_listed_with_why_and_retry_returns_them_to_the_forwarder()
    {
        var parked = await Insert("Gateway", "hub.providers", parked: true, error: "RabbitMqTransportException: no route to queue 'hub.providers'");
        var waiting = await Insert("Gateway", "hub.providers", parked: false, error: "the broker is away");
        var other = await Insert("Webhooks", "hub.webhooks", parked: true, error: "nacked");

        var (code, output, _) = await Hubctl.Run("outbox", "list", "--postgres", ConnectionString);
        Assert.Equal(0, code);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^ID\s+ENDPOINT\s+DESTINATION\s+TYPE\s+ATTEMPTS\s+PARKED AT\s+LAST ERROR", lines[0]);
        Assert.Contains(lines, l => Row(l, parked) && l.Contains("ForwardRequest") && l.Contains("no route to queue"));
        Assert.DoesNotContain(lines, l => Row(l, waiting));
        Assert.Equal("2 message(s).", lines[^1].Trim());

        (code, output, _) = await Hubctl.Run("outbox", "list", "--all", "--endpoint", "gateway", "--postgres", ConnectionString);
        Assert.Contains(output.Split('\n'), l => Row(l, waiting));
        Assert.DoesNotContain(output.Split('\n'), l => Row(l, other));

        (code, output, _) = await Hubctl.Run("outbox", "retry", parked.ToString(System.Globalization.CultureInfo.InvariantCulture), "--postgres", ConnectionString);
        Assert.Equal(0, code);
        Assert.Contains("1 parked message(s) returned", output);
        Assert.Equal(1L, await PostgresServer.Scalar<long>(ConnectionString, $"SELECT count(*) FROM hub.outbox WHERE id = {parked} AND parked_at IS NULL AND attempts = 0 AND next_attempt_at IS NULL"));

        var (again, _, error) = await Hubctl.Run("outbox", "retry", parked.ToString(System.Globalization.CultureInfo.InvariantCulture), "--postgres", ConnectionString);
        Assert.Equal(ExitCodes.Failed, again);
        Assert.Contains($"no parked outbox message with id {parked}", error);

        (code, output, _) = await Hubctl.Run("outbox", "retry", "--all", "--postgres", ConnectionString);
        Assert.Contains("1 parked message(s) returned", output);
        Assert.Equal(0L, await PostgresServer.Scalar<long>(ConnectionString, "SELECT count(*) FROM hub.outbox WHERE parked_at IS NOT NULL"));
    }

    [Fact]
    public async Task Outbox_without_the_hubs_tables_is_one_clear_line_and_exit_code_2()
    {
        var empty = "hub_ctl_" + Guid.NewGuid().ToString("N")[..8];
        await PostgresServer.Execute($"CREATE DATABASE {empty} OWNER hub");
        try
        {
            var (code, _, error) = await Hubctl.Run("outbox", "list", "--postgres", new NpgsqlConnectionStringBuilder(PostgresServer.ConnectionString) { Database = empty }.ConnectionString);

            Assert.Equal(ExitCodes.Unavailable, code);
            Assert.Contains("has no outbox table yet", error);
            Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        finally
        {
            await PostgresServer.DropDatabase(empty);
        }
    }

    static bool Row(string line, long id) => System.Text.RegularExpressions.Regex.IsMatch(line, $@"^{id}\s+(Gateway|Webhooks)\s");

    async Task<long> Insert(string endpoint, string destination, bool parked, string error)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var insert = new NpgsqlCommand("""
            INSERT INTO hub.outbox (endpoint, message_id, destination, headers, body, attempts, last_error, parked_at, next_attempt_at)
            VALUES (@endpoint, 'm', @destination, '{"rbs2-msg-type":"IntegrationHub.Contracts.Providers.Commands.ForwardRequest, IntegrationHub.Contracts"}',
                    '\x7b7d', 7, @error, CASE WHEN @parked THEN now() END, now() + interval '1 minute')
            RETURNING id
            """, connection);
        insert.Parameters.AddWithValue("endpoint", endpoint);
        insert.Parameters.AddWithValue("destination", destination);
        insert.Parameters.AddWithValue("error", error);
        insert.Parameters.AddWithValue("parked", parked);
        return (long)(await insert.ExecuteScalarAsync())!;
    }
}
