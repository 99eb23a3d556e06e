using IntegrationHub.Hosting.Persistence;
using IntegrationHub.Testing;
using Npgsql;

namespace IntegrationHub.Ctl.Tests;

public sealed class DbCommandTests : IAsyncLifetime
{
    readonly string _database = "hub_ctl_" + Guid.NewGuid().ToString("N")[..8];

    string ConnectionString => new NpgsqlConnectionStringBuilder(PostgresServer.ConnectionString) { Database = _database }.ConnectionString;

    public Task InitializeAsync() => PostgresServer.Execute($"CREATE DATABASE {_database} OWNER hub");

    public Task DisposeAsync() => PostgresServer.DropDatabase(_database);

    [Fact]
    public async Task Db_migrate_lists_what_it_applied_then_says_the_schema_is_up_to_date()
    {
        var (first, firstOutput, _) = await Hubctl.Run("db", "migrate", "--postgres", ConnectionString);
        var (second, secondOutput, _) = await Hubctl.Run("db", "migrate", "--postgres", ConnectionString);

        Assert.Equal(0, first);
        foreach (var migration in HubDatabase.Migrations)
            Assert.Contains($"applied {migration.Scope} {migration.Version:D4} {migration.Name}", firstOutput);
        Assert.Equal(0, second);
        Assert.Contains("schema is up to date", secondOutput);
    }

    [Fact]
    public async Task Db_migrate_against_an_unreachable_server_exits_2_without_the_password()
    {
        var (code, _, error) = await Hubctl.Run("db", "migrate", "--postgres", "Host=127.0.0.1;Port=1;Username=hub;Password=s3cret;Database=hub;Timeout=2");

        Assert.Equal(ExitCodes.Unavailable, code);
        Assert.Contains("Cannot reach PostgreSQL at 127.0.0.1:1/hub", error);
        Assert.DoesNotContain("s3cret", error);
    }
}
