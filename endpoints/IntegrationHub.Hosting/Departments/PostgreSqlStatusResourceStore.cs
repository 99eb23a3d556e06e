using System.Text.Json;
using IntegrationHub.Hosting.Persistence;
using Npgsql;
using NpgsqlTypes;

namespace IntegrationHub.Hosting.Departments;

/// <summary>
/// Status resources in <c>hub.status_resources</c> (the resource row is also its accepted step), <c>hub.status_timeline</c>
/// and <c>hub.idempotency_keys</c> (Persistence/Migrations/0005). New resources are written by the group commit
/// (<see cref="NewStatusResourceRows"/>); updates run in the handled message's transaction; reads on a connection of their own.
/// </summary>
internal sealed class PostgreSqlStatusResourceStore(string connectionString, HandlerDatabase database) : IStatusResourceStore, IStatusResourceWriter
{
    readonly NewStatusResourceRows _newRows = new();

    public Task<bool> Add(HubTransaction transaction, StatusKind kind, NewStatusResource resource) =>
        transaction.Complete(_newRows, new PendingResource(kind, resource));

    public async Task<IdempotencyRecord?> FindIdempotencyKey(string department, string route, string key)
    {
        await using var connection = await Open(CancellationToken.None);
        await using var command = new NpgsqlCommand("""
            SELECT resource_id, body_hash FROM hub.idempotency_keys
            WHERE department = @department AND route = @route AND idempotency_key = @key
            """, connection);
        command.Parameters.AddWithValue("department", department);
        command.Parameters.AddWithValue("route", route);
        command.Parameters.AddWithValue("key", key);
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? new IdempotencyRecord(reader.GetString(0), reader.GetString(1)) : null;
    }

    public async Task<StatusResource?> Find(StatusKind kind, string department, string id)
    {
        await using var connection = await Open(CancellationToken.None);
        await using var batch = new NpgsqlBatch(connection);
        var resource = new NpgsqlBatchCommand("""
            SELECT status, accepted_at, updated_at, attributes::text, result, error FROM hub.status_resources
            WHERE id = @id AND kind = @kind AND department = @department
            """);
        resource.Parameters.AddWithValue("id", id);
        resource.Parameters.AddWithValue("kind", kind.Name);
        resource.Parameters.AddWithValue("department", department);
        var timeline = new NpgsqlBatchCommand("""
            SELECT t.at, t.step, t.detail FROM hub.status_timeline t JOIN hub.status_resources r ON r.id = t.resource_id
            WHERE t.resource_id = @id AND r.kind = @kind AND r.department = @department ORDER BY t.at, t.id
            """);
        timeline.Parameters.AddWithValue("id", id);
        timeline.Parameters.AddWithValue("kind", kind.Name);
        timeline.Parameters.AddWithValue("department", department);
        batch.BatchCommands.Add(resource);
        batch.BatchCommands.Add(timeline);

        await using var reader = await batch.ExecuteReaderAsync();
        if (!await reader.ReadAsync()) return null;
        var status = reader.GetString(0);
        var acceptedAt = reader.GetFieldValue<DateTimeOffset>(1);
        var updatedAt = reader.GetFieldValue<DateTimeOffset>(2);
        var attributes = JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(3)) ?? [];
        var result = NullableString(reader, 4);
        var error = NullableString(reader, 5);
        await reader.NextResultAsync();
        var entries = new List<TimelineEntry> { new(acceptedAt, kind.Initial, null) };
        while (await reader.ReadAsync())
            entries.Add(new TimelineEntry(reader.GetFieldValue<DateTimeOffset>(0), reader.GetString(1), NullableString(reader, 2)));
        return new StatusResource(id, kind.Name, department, status, acceptedAt, updatedAt, attributes, result, error, entries);
    }

    public async Task<bool> Start(StatusKind kind, NewStatusResource resource)
    {
        await using var insert = await database.Command("""
            INSERT INTO hub.status_resources (id, kind, department, status, status_rank, accepted_at, updated_at, attributes)
            VALUES (@id, @kind, @department, @status, 0, @at, @at, @attributes)
            ON CONFLICT (id) DO NOTHING
            """);
        insert.Parameters.AddWithValue("id", resource.Id);
        insert.Parameters.AddWithValue("kind", kind.Name);
        insert.Parameters.AddWithValue("department", resource.Department);
        insert.Parameters.AddWithValue("status", kind.Initial);
        insert.Parameters.AddWithValue("at", resource.AcceptedAt);
        insert.Parameters.Add(new NpgsqlParameter("attributes", NpgsqlDbType.Jsonb) { Value = JsonSerializer.Serialize(resource.Attributes) });
        return await insert.ExecuteNonQueryAsync() == 1;
    }

    public async Task<bool> Apply(StatusKind kind, StatusUpdate update)
    {
        await using (var entry = await database.Command("""
            INSERT INTO hub.status_timeline (resource_id, entry_id, at, step, detail)
            SELECT id, @entry, @at, @step, @detail FROM hub.status_resources WHERE id = @id AND kind = @kind AND department = @department
            ON CONFLICT (resource_id, entry_id) DO NOTHING
            """))
        {
            entry.Parameters.AddWithValue("id", update.Id);
            entry.Parameters.AddWithValue("kind", kind.Name);
            entry.Parameters.AddWithValue("department", update.Department);
            entry.Parameters.AddWithValue("entry", update.EntryId);
            entry.Parameters.AddWithValue("at", update.At);
            entry.Parameters.AddWithValue("step", update.Step);
            entry.Parameters.Add(Text("detail", update.Detail));
            if (await entry.ExecuteNonQueryAsync() == 0)
                return false;
        }

        // The row lock serialises concurrent updates; every SET sees the row as it was, so the status moves forward only.
        await using var status = await database.Command("""
            UPDATE hub.status_resources SET
                updated_at = greatest(updated_at, @at),
                result = CASE WHEN status_rank < @rank THEN @result ELSE result END,
                error = CASE WHEN status_rank < @rank THEN @error ELSE error END,
                ended_at = CASE WHEN status_rank < @rank AND @final THEN @at ELSE ended_at END,
                status = CASE WHEN status_rank < @rank THEN @status ELSE status END,
                status_rank = greatest(status_rank, @rank)
            WHERE id = @id
            """);
        status.Parameters.AddWithValue("id", update.Id);
        status.Parameters.AddWithValue("at", update.At);
        status.Parameters.AddWithValue("status", update.Status);
        status.Parameters.AddWithValue("rank", (short)kind.Rank(update.Status));
        status.Parameters.AddWithValue("final", kind.IsFinal(update.Status));
        status.Parameters.Add(Text("result", update.Result));
        status.Parameters.Add(Text("error", update.Error));
        await status.ExecuteNonQueryAsync();
        return true;
    }

    public Task<int> PruneEnded(StatusKind kind, DateTimeOffset before, int batchSize, CancellationToken cancellationToken) =>
        Prune("DELETE FROM hub.status_resources WHERE id = ANY(ARRAY(SELECT id FROM hub.status_resources WHERE kind = @kind AND ended_at < @before LIMIT @batch FOR UPDATE SKIP LOCKED))",
            kind, before, batchSize, cancellationToken);

    public Task<int> PruneUnfinished(StatusKind kind, DateTimeOffset before, int batchSize, CancellationToken cancellationToken) =>
        Prune("DELETE FROM hub.status_resources WHERE id = ANY(ARRAY(SELECT id FROM hub.status_resources WHERE kind = @kind AND ended_at IS NULL AND updated_at < @before LIMIT @batch FOR UPDATE SKIP LOCKED))",
            kind, before, batchSize, cancellationToken);

    public Task<int> PruneIdempotencyKeys(StatusKind kind, DateTimeOffset before, int batchSize, CancellationToken cancellationToken) =>
        Prune("DELETE FROM hub.idempotency_keys WHERE ctid = ANY(ARRAY(SELECT ctid FROM hub.idempotency_keys WHERE kind = @kind AND created_at < @before LIMIT @batch FOR UPDATE SKIP LOCKED))",
            kind, before, batchSize, cancellationToken);

    // One short transaction per batch; SKIP LOCKED lets several instances prune side by side. Timelines and keys go with
    // their resource (ON DELETE CASCADE).
    async Task<int> Prune(string sql, StatusKind kind, DateTimeOffset before, int batchSize, CancellationToken cancellationToken)
    {
        await using var connection = await Open(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("kind", kind.Name);
        command.Parameters.AddWithValue("before", before.ToUniversalTime());
        command.Parameters.AddWithValue("batch", batchSize);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    async Task<NpgsqlConnection> Open(CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    static NpgsqlParameter Text(string name, string? value) => new(name, NpgsqlDbType.Text) { Value = (object?)value ?? DBNull.Value };

    static string? NullableString(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
