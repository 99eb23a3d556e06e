using IntegrationHub.Hosting.Persistence;

namespace IntegrationHub.Clinical.Hl7v2;

/// <summary>
/// The newest version published about each patient (per department): the order of clinical events. A message older
/// than the newest one already handled is still published, marked not latest — it is never lost, and never wins.
/// </summary>
public interface ISubjectVersions
{
    /// <summary>
    /// Records <paramref name="version"/> for the patient, in the handled message's transaction, and answers whether it
    /// is the newest so far (equal counts as newest: the same message handled again gives the same answer).
    /// </summary>
    Task<bool> Offer(string department, string patientId, long version, string messageId, DateTimeOffset now);

    Task<int> Prune(DateTimeOffset before, int batchSize, CancellationToken cancellationToken);
}

internal sealed class InMemorySubjectVersions : ISubjectVersions
{
    readonly Dictionary<(string, string), (long Version, DateTimeOffset At)> _versions = [];

    public Task<bool> Offer(string department, string patientId, long version, string messageId, DateTimeOffset now)
    {
        lock (_versions)
        {
            var key = (department, patientId);
            var newest = !_versions.TryGetValue(key, out var known) || version >= known.Version;
            _versions[key] = (newest ? version : known.Version, now);
            return Task.FromResult(newest);
        }
    }

    public Task<int> Prune(DateTimeOffset before, int batchSize, CancellationToken cancellationToken)
    {
        lock (_versions)
        {
            var old = _versions.Where(v => v.Value.At < before).Take(batchSize).Select(v => v.Key).ToList();
            foreach (var key in old) _versions.Remove(key);
            return Task.FromResult(old.Count);
        }
    }
}

/// <summary>
/// PostgreSQL: one upsert in the message's transaction. Its row lock orders two messages about one patient handled at
/// once — the second waits for the first to commit and then sees its version.
/// </summary>
internal sealed class PostgreSqlSubjectVersions(string connectionString, HandlerDatabase database) : ISubjectVersions
{
    public async Task<bool> Offer(string department, string patientId, long version, string messageId, DateTimeOffset now)
    {
        await using var command = await database.Command("""
            INSERT INTO clinical.subject_versions (department, patient_id, version, message_id, updated_at)
            VALUES (@department, @patient, @version, @message, @now)
            ON CONFLICT (department, patient_id) DO UPDATE SET
                version = GREATEST(clinical.subject_versions.version, EXCLUDED.version),
                message_id = CASE WHEN EXCLUDED.version >= clinical.subject_versions.version
                                  THEN EXCLUDED.message_id ELSE clinical.subject_versions.message_id END,
                updated_at = EXCLUDED.updated_at
            RETURNING version
            """);
        command.Parameters.AddWithValue("department", department);
        command.Parameters.AddWithValue("patient", patientId);
        command.Parameters.AddWithValue("version", version);
        command.Parameters.AddWithValue("message", messageId);
        command.Parameters.AddWithValue("now", now.UtcDateTime);
        var newest = (long)(await command.ExecuteScalarAsync())!;
        return version >= newest;
    }

    public async Task<int> Prune(DateTimeOffset before, int batchSize, CancellationToken cancellationToken)
    {
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new Npgsql.NpgsqlCommand("""
            DELETE FROM clinical.subject_versions WHERE ctid IN (
                SELECT ctid FROM clinical.subject_versions WHERE updated_at < @before LIMIT @batch FOR UPDATE SKIP LOCKED)
            """, connection);
        command.Parameters.AddWithValue("before", before.UtcDateTime);
        command.Parameters.AddWithValue("batch", batchSize);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
