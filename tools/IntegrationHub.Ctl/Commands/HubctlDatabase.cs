using System.CommandLine;
using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Persistence;
using Npgsql;

namespace IntegrationHub.Ctl.Commands;

/// <summary>The hub's PostgreSQL database, as the commands that read or change its tables reach it.</summary>
internal static class HubctlDatabase
{
    public static Option<string?> Option() => new("--postgres")
    {
        Description = $"Npgsql connection string (default: ${DbCommands.EnvironmentVariable}, else the local development database)",
        HelpName = "connection-string",
        Recursive = true,
    };

    public static string ConnectionString(ParseResult parseResult, Option<string?> postgres) =>
        parseResult.GetValue(postgres) ?? Environment.GetEnvironmentVariable(DbCommands.EnvironmentVariable) ?? HubOptions.DefaultPostgres;

    /// <summary>Runs <paramref name="work"/>; an unreachable server, or tables no endpoint created yet, become one clear line.</summary>
    public static async Task<T> Run<T>(string connectionString, string tables, Func<Task<T>> work)
    {
        try
        {
            return await work();
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable || e.SqlState == PostgresErrorCodes.InvalidSchemaName
                                             || e.SqlState == PostgresErrorCodes.UndefinedColumn)
        {
            throw new HubCtlException($"{HubDatabase.Describe(connectionString)} has no {tables} yet: the hub creates them when it first " +
                                      "starts there (or run hubctl db migrate)", ExitCodes.Unavailable, e);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            throw new HubCtlException($"cannot reach PostgreSQL at {HubDatabase.Describe(connectionString)}: {e.Message}", ExitCodes.Unavailable, e);
        }
    }
}
