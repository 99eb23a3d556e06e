using System.Reflection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace IntegrationHub.Hosting.Persistence;

/// <summary>
/// Versioned schema migrations: numbered SQL scripts (<c>Migrations/NNNN_name.sql</c>, embedded resources) in sets
/// owned by the hub itself (scope <c>hub</c>) and by endpoints that keep tables of their own (scope = endpoint).
/// Each script is applied once, in order, in its own transaction, and recorded in <c>hub.schema_migrations</c>.
/// An advisory lock lets many endpoint instances start at once safely. Run at start-up by every endpoint in
/// PostgreSQL mode and by <c>hubctl db migrate</c>.
/// </summary>
public static class HubDatabase
{
    const long AdvisoryLockKey = 0x1_4855_4244; // "HUBD"

    public sealed record Migration(string Scope, int Version, string Name, string Sql);

    /// <summary>The hub's own tables: timeouts, sagas, outbox, inbox.</summary>
    public static MigrationSet Hub { get; } = MigrationSet.FromAssembly("hub", typeof(HubDatabase).Assembly);

    public static IReadOnlyList<Migration> Migrations => Hub.Migrations;

    /// <summary>Applies the hub's migrations, then those of <paramref name="endpointSets"/>; returns what it applied.</summary>
    public static async Task<IReadOnlyList<Migration>> MigrateAsync(string connectionString, ILogger? logger = null,
        CancellationToken cancellationToken = default, params IEnumerable<MigrationSet> endpointSets)
    {
        var sets = new[] { Hub }.Concat(endpointSets).DistinctBy(s => s.Scope).ToList();
        logger ??= NullLogger.Instance;
        // Not pooled: the session's advisory lock ends with the connection, whatever happens to the unlock.
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
        {
            throw new InvalidOperationException($"Cannot reach PostgreSQL at {Describe(connectionString)}: {exception.Message}", exception);
        }

        await Execute(connection, $"SELECT pg_advisory_lock({AdvisoryLockKey})", cancellationToken);
        try
        {
            await Execute(connection, """
                CREATE SCHEMA IF NOT EXISTS hub;
                CREATE TABLE IF NOT EXISTS hub.schema_migrations (
                    scope      text    NOT NULL,
                    version    integer NOT NULL,
                    name       text    NOT NULL,
                    applied_at timestamp with time zone NOT NULL DEFAULT now(),
                    PRIMARY KEY (scope, version)
                );
                """, cancellationToken);

            var applied = new HashSet<(string, int)>();
            await using (var command = new NpgsqlCommand("SELECT scope, version FROM hub.schema_migrations", connection))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
                while (await reader.ReadAsync(cancellationToken))
                    applied.Add((reader.GetString(0), reader.GetInt32(1)));

            var done = new List<Migration>();
            foreach (var migration in sets.SelectMany(s => s.Migrations).Where(m => !applied.Contains((m.Scope, m.Version))))
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await using (var command = new NpgsqlCommand(migration.Sql, connection, transaction))
                    await command.ExecuteNonQueryAsync(cancellationToken);
                await using (var record = new NpgsqlCommand("INSERT INTO hub.schema_migrations (scope, version, name) VALUES (@s, @v, @n)", connection, transaction))
                {
                    record.Parameters.AddWithValue("s", migration.Scope);
                    record.Parameters.AddWithValue("v", migration.Version);
                    record.Parameters.AddWithValue("n", migration.Name);
                    await record.ExecuteNonQueryAsync(cancellationToken);
                }
                await transaction.CommitAsync(cancellationToken);
                logger.LogInformation("Applied database migration {Scope} {Version} {Name}", migration.Scope, migration.Version, migration.Name);
                done.Add(migration);
            }

            if (done.Count == 0)
                logger.LogInformation("Database schema is up to date ({Scopes})", string.Join(", ", sets.Select(s => s.Scope)));
            return done;
        }
        finally
        {
            await Execute(connection, $"SELECT pg_advisory_unlock({AdvisoryLockKey})", CancellationToken.None);
        }
    }

    /// <summary>Host and database of a connection string, without the password, for messages.</summary>
    public static string Describe(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return $"{builder.Host}:{builder.Port}/{builder.Database}";
    }

    static async Task Execute(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>The migrations of one scope, read from SQL files embedded in an assembly under a <c>Migrations</c> folder.</summary>
public sealed record MigrationSet(string Scope, IReadOnlyList<HubDatabase.Migration> Migrations)
{
    public static MigrationSet FromAssembly(string scope, Assembly assembly)
    {
        const string marker = ".Migrations.";
        var migrations = assembly.GetManifestResourceNames()
            .Where(name => name.Contains(marker, StringComparison.Ordinal) && name.EndsWith(".sql", StringComparison.Ordinal))
            .Select(name =>
            {
                var file = name[(name.LastIndexOf(marker, StringComparison.Ordinal) + marker.Length)..^".sql".Length].TrimStart('_');
                var underscore = file.IndexOf('_');
                if (underscore < 1 || !int.TryParse(file[..underscore], System.Globalization.CultureInfo.InvariantCulture, out var version))
                    throw new InvalidOperationException($"Migration '{name}' in {assembly.GetName().Name} must be named NNNN_description.sql");
                using var stream = assembly.GetManifestResourceStream(name)!;
                using var reader = new StreamReader(stream);
                return new HubDatabase.Migration(scope, version, file[(underscore + 1)..], reader.ReadToEnd());
            })
            .OrderBy(m => m.Version)
            .ToList();
        return new MigrationSet(scope, migrations);
    }
}
