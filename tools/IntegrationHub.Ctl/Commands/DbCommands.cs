using System.CommandLine;
using IntegrationHub.Hosting.Persistence;

namespace IntegrationHub.Ctl.Commands;

/// <summary><c>hubctl db migrate</c>: applies the hub's schema migrations (endpoints also do it at start-up).</summary>
internal static class DbCommands
{
    public const string EnvironmentVariable = "ConnectionStrings__Postgres";

    /// <summary>The tables of every endpoint that owns some, so one command prepares the whole database.</summary>
    static readonly MigrationSet[] EndpointMigrations = HubctlEndpoints.All.Select(e => e.Migrations).OfType<MigrationSet>().ToArray();

    public static Command Create()
    {
        var postgres = HubctlDatabase.Option();
        var migrate = new Command("migrate", "Apply the database migrations not yet applied, in order, and list them");
        migrate.Options.Add(postgres);
        migrate.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(parseResult, async (output, _) =>
        {
            var connectionString = HubctlDatabase.ConnectionString(parseResult, postgres);
            IReadOnlyList<HubDatabase.Migration> applied;
            try
            {
                applied = await HubDatabase.MigrateAsync(connectionString, null, cancellationToken, EndpointMigrations);
            }
            catch (InvalidOperationException e)
            {
                throw new HubCtlException(e.Message, ExitCodes.Unavailable, e);
            }

            var where = HubDatabase.Describe(connectionString);
            if (applied.Count == 0)
                await output.WriteLineAsync($"{where}: schema is up to date ({string.Join(", ", new[] { HubDatabase.Hub }.Concat(EndpointMigrations).Select(s => $"{s.Scope} {s.Migrations[^1].Version}"))}).");
            foreach (var migration in applied)
                await output.WriteLineAsync($"{where}: applied {migration.Scope} {migration.Version:D4} {migration.Name}");
            return ExitCodes.Ok;
        }, cancellationToken));

        var db = new Command("db", "The hub's PostgreSQL database");
        db.Subcommands.Add(migrate);
        return db;
    }
}
