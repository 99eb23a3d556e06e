using IntegrationHub.Hosting.Persistence;
using Npgsql;

namespace IntegrationHub.Abdm.Links;

/// <summary>One care context of a department's patient, linked to an ABHA address.</summary>
public sealed record LinkedCareContextRow(string Department, string HipId, string PatientReference, string CareContextReference,
    string AbhaAddress, string Display, string? HiType, string LinkId, string InitiatedBy, DateTimeOffset LinkedAt);

/// <summary>
/// The care contexts linked through ABDM, per department: written in the linking flow's transaction, listed by the
/// department API, kept <c>Hub:Abdm:Retention:LinkedCareContexts</c> after linking. Linking a care context again
/// (another link id) refreshes its row.
/// </summary>
public interface ILinkedCareContexts
{
    Task Link(IReadOnlyList<LinkedCareContextRow> rows);

    Task<IReadOnlyList<LinkedCareContextRow>> List(string department, string? patientReference, int limit, CancellationToken cancellationToken);

    Task<int> Prune(DateTimeOffset before, int batchSize, CancellationToken cancellationToken);
}

internal sealed class InMemoryLinkedCareContexts : ILinkedCareContexts
{
    readonly Dictionary<(string, string, string, string, string), LinkedCareContextRow> _rows = [];

    public Task Link(IReadOnlyList<LinkedCareContextRow> rows)
    {
        lock (_rows)
            foreach (var row in rows)
                _rows[(row.Department, row.HipId, row.PatientReference, row.CareContextReference, row.AbhaAddress)] = row;
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<LinkedCareContextRow>> List(string department, string? patientReference, int limit, CancellationToken cancellationToken)
    {
        lock (_rows)
            return Task.FromResult<IReadOnlyList<LinkedCareContextRow>>(_rows.Values
                .Where(r => r.Department == department && (patientReference is null || r.PatientReference == patientReference))
                .OrderByDescending(r => r.LinkedAt).ThenBy(r => r.CareContextReference, StringComparer.Ordinal).Take(limit).ToList());
    }

    public Task<int> Prune(DateTimeOffset before, int batchSize, CancellationToken cancellationToken)
    {
        lock (_rows)
        {
            var old = _rows.Where(r => r.Value.LinkedAt < before).Take(batchSize).Select(r => r.Key).ToList();
            foreach (var key in old) _rows.Remove(key);
            return Task.FromResult(old.Count);
        }
    }
}

internal sealed class PostgreSqlLinkedCareContexts(string connectionString, HandlerDatabase database) : ILinkedCareContexts
{
    public async Task Link(IReadOnlyList<LinkedCareContextRow> rows)
    {
        foreach (var row in rows)
        {
            await using var command = await database.Command("""
                INSERT INTO abdm.linked_care_contexts (department, patient_reference, care_context_reference, abha_address, hip_id, display,
                    hi_type, link_id, initiated_by, linked_at)
                VALUES (@department, @patient, @context, @abha, @hip, @display, @hi_type, @link, @by, @at)
                ON CONFLICT (department, hip_id, patient_reference, care_context_reference, abha_address) DO UPDATE SET
                    display = EXCLUDED.display, hi_type = EXCLUDED.hi_type, link_id = EXCLUDED.link_id,
                    initiated_by = EXCLUDED.initiated_by, linked_at = EXCLUDED.linked_at
                """);
            command.Parameters.AddWithValue("department", row.Department);
            command.Parameters.AddWithValue("patient", row.PatientReference);
            command.Parameters.AddWithValue("context", row.CareContextReference);
            command.Parameters.AddWithValue("abha", row.AbhaAddress);
            command.Parameters.AddWithValue("hip", row.HipId);
            command.Parameters.AddWithValue("display", row.Display);
            command.Parameters.AddWithValue("hi_type", (object?)row.HiType ?? DBNull.Value);
            command.Parameters.AddWithValue("link", row.LinkId);
            command.Parameters.AddWithValue("by", row.InitiatedBy);
            command.Parameters.AddWithValue("at", row.LinkedAt.UtcDateTime);
            await command.ExecuteNonQueryAsync();
        }
    }

    public async Task<IReadOnlyList<LinkedCareContextRow>> List(string department, string? patientReference, int limit, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("""
            SELECT department, hip_id, patient_reference, care_context_reference, abha_address, display, hi_type, link_id, initiated_by, linked_at
            FROM abdm.linked_care_contexts
            WHERE department = @department AND (@patient::text IS NULL OR patient_reference = @patient)
            ORDER BY linked_at DESC, care_context_reference LIMIT @limit
            """, connection);
        command.Parameters.AddWithValue("department", department);
        command.Parameters.Add(new NpgsqlParameter("patient", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)patientReference ?? DBNull.Value });
        command.Parameters.AddWithValue("limit", limit);
        var rows = new List<LinkedCareContextRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            rows.Add(new LinkedCareContextRow(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6), reader.GetString(7), reader.GetString(8),
                new DateTimeOffset(reader.GetDateTime(9), TimeSpan.Zero)));
        return rows;
    }

    public async Task<int> Prune(DateTimeOffset before, int batchSize, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("""
            DELETE FROM abdm.linked_care_contexts WHERE ctid IN (
                SELECT ctid FROM abdm.linked_care_contexts WHERE linked_at < @before LIMIT @batch FOR UPDATE SKIP LOCKED)
            """, connection);
        command.Parameters.AddWithValue("before", before.UtcDateTime);
        command.Parameters.AddWithValue("batch", batchSize);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
