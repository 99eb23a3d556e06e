using System.Text.Json;
using IntegrationHub.Payments.Ledger;
using Npgsql;

namespace IntegrationHub.Payments.Reconciliation;

/// <summary>Reading reconciliation runs from PostgreSQL: for the ledger, and for <c>hubctl payments reconcile</c>, which has only the database.</summary>
public static class ReconciliationRuns
{
    public static async Task<ReconciliationRun?> Read(string connectionString, string runId, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("""
            SELECT run_id, account, day, requested_by, started_at, finished_at, checked, mismatches, error FROM payments.reconciliation_runs WHERE run_id = @id
            """, connection);
        command.Parameters.AddWithValue("id", runId);
        await using var r = await command.ExecuteReaderAsync(cancellationToken);
        if (!await r.ReadAsync(cancellationToken)) return null;
        return new ReconciliationRun(r.GetString(0), r.GetString(1), DateOnly.FromDateTime(r.GetDateTime(2)), r.GetString(3), Utc(r.GetDateTime(4)),
            r.IsDBNull(5) ? null : Utc(r.GetDateTime(5)), r.GetInt32(6),
            r.IsDBNull(7) ? null : JsonSerializer.Deserialize<List<Mismatch>>(r.GetString(7)), r.IsDBNull(8) ? null : r.GetString(8));
    }

    /// <summary>The accounts that have payments created on <paramref name="day"/> (UTC).</summary>
    public static async Task<IReadOnlyList<string>> AccountsWithPayments(string connectionString, DateOnly day, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("""
            SELECT DISTINCT account FROM payments.payments WHERE created_at >= @from AND created_at < @from + interval '1 day' ORDER BY account
            """, connection);
        command.Parameters.AddWithValue("from", day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc));
        var accounts = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) accounts.Add(reader.GetString(0));
        return accounts;
    }

    static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));
}
