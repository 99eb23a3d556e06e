using System.Text.Json;
using IntegrationHub.Adapters.Notifications;
using IntegrationHub.Hosting.Persistence;
using Npgsql;

namespace IntegrationHub.Notifications.Store;

/// <summary>The store in schema <c>notifications</c>: reads on connections of their own, changes in the handler's transaction.</summary>
internal sealed class PostgreSqlNotificationStore(string connectionString, HandlerDatabase database) : INotificationStore
{
    public async Task<TemplateSaved> SaveTemplate(TemplateRow template, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // One template's versions are numbered one writer at a time.
        await using (var lockTemplate = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext(@key))", connection, transaction))
        {
            lockTemplate.Parameters.AddWithValue("key", $"notifications.template\n{template.Department}\n{template.Id}");
            await lockTemplate.ExecuteNonQueryAsync(cancellationToken);
        }
        var latest = await ReadTemplate(connection, transaction, template.Department, template.Id, null, cancellationToken);
        if (TemplateRules.Conflict(latest, template) is { } conflict) return new TemplateSaved(null, conflict);
        var saved = template with { Version = (latest?.Version ?? 0) + 1 };
        await using var insert = new NpgsqlCommand("""
            INSERT INTO notifications.templates (department, id, version, channel, fallback_language, texts, max_sms_segments, registration_id, otp, created_at)
            VALUES (@department, @id, @version, @channel, @fallback, @texts::jsonb, @max, @registration, @otp, @at)
            """, connection, transaction);
        insert.Parameters.AddWithValue("department", saved.Department);
        insert.Parameters.AddWithValue("id", saved.Id);
        insert.Parameters.AddWithValue("version", saved.Version);
        insert.Parameters.AddWithValue("channel", saved.Channel.ToString());
        insert.Parameters.AddWithValue("fallback", saved.FallbackLanguage);
        insert.Parameters.AddWithValue("texts", JsonSerializer.Serialize(saved.Texts));
        insert.Parameters.AddWithValue("max", (object?)saved.MaxSmsSegments ?? DBNull.Value);
        insert.Parameters.AddWithValue("registration", (object?)saved.RegistrationId ?? DBNull.Value);
        insert.Parameters.AddWithValue("otp", saved.Otp);
        insert.Parameters.AddWithValue("at", saved.CreatedAt.UtcDateTime);
        await insert.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new TemplateSaved(saved, null);
    }

    public async Task<TemplateRow?> Template(string department, string id, int? version, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        return await ReadTemplate(connection, null, department, id, version, cancellationToken);
    }

    static async Task<TemplateRow?> ReadTemplate(NpgsqlConnection connection, NpgsqlTransaction? transaction, string department, string id, int? version,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            SELECT department, id, version, channel, fallback_language, texts, max_sms_segments, registration_id, otp, created_at
            FROM notifications.templates WHERE department = @department AND id = @id AND (@version::integer IS NULL OR version = @version)
            ORDER BY version DESC LIMIT 1
            """, connection, transaction);
        command.Parameters.AddWithValue("department", department);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.Add(new NpgsqlParameter("version", NpgsqlTypes.NpgsqlDbType.Integer) { Value = (object?)version ?? DBNull.Value });
        await using var r = await command.ExecuteReaderAsync(cancellationToken);
        if (!await r.ReadAsync(cancellationToken)) return null;
        return new TemplateRow(r.GetString(0), r.GetString(1), r.GetInt32(2), Enum.Parse<Channel>(r.GetString(3)), r.GetString(4),
            JsonSerializer.Deserialize<Dictionary<string, TemplateText>>(r.GetString(5)) ?? [], r.IsDBNull(6) ? null : r.GetInt32(6),
            r.IsDBNull(7) ? null : r.GetString(7), r.GetBoolean(8), Utc(r.GetDateTime(9)));
    }

    public async Task AddBatch(BatchRow batch, IReadOnlyList<MessageRow> messages)
    {
        await using (var insert = await database.Command("""
            INSERT INTO notifications.batches (department, id, channel, total, finished, created_at) VALUES (@department, @id, @channel, @total, 0, @at)
            ON CONFLICT DO NOTHING
            """))
        {
            insert.Parameters.AddWithValue("department", batch.Department);
            insert.Parameters.AddWithValue("id", batch.Id);
            insert.Parameters.AddWithValue("channel", batch.Channel.ToString());
            insert.Parameters.AddWithValue("total", batch.Total);
            insert.Parameters.AddWithValue("at", batch.CreatedAt.UtcDateTime);
            await insert.ExecuteNonQueryAsync();
        }
        // Up to 10,000 rows: one statement over arrays.
        await using var rows = await database.Command("""
            INSERT INTO notifications.messages (department, id, batch_id, channel, recipient, state, updated_at)
            SELECT @department, m.id, @batch, @channel, m.recipient, @state, @at FROM unnest(@ids, @recipients) AS m(id, recipient)
            ON CONFLICT DO NOTHING
            """);
        rows.Parameters.AddWithValue("department", batch.Department);
        rows.Parameters.AddWithValue("batch", batch.Id);
        rows.Parameters.AddWithValue("channel", batch.Channel.ToString());
        rows.Parameters.AddWithValue("state", MessageStates.Queued);
        rows.Parameters.AddWithValue("at", batch.CreatedAt.UtcDateTime);
        rows.Parameters.AddWithValue("ids", messages.Select(m => m.Id).ToArray());
        rows.Parameters.AddWithValue("recipients", messages.Select(m => m.To).ToArray());
        await rows.ExecuteNonQueryAsync();
    }

    public async Task<BatchRow?> Batch(string department, string id, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "SELECT department, id, channel, total, finished, created_at FROM notifications.batches WHERE department = @department AND id = @id", connection);
        command.Parameters.AddWithValue("department", department);
        command.Parameters.AddWithValue("id", id);
        await using var r = await command.ExecuteReaderAsync(cancellationToken);
        return await r.ReadAsync(cancellationToken)
            ? new BatchRow(r.GetString(0), r.GetString(1), Enum.Parse<Channel>(r.GetString(2)), r.GetInt32(3), r.GetInt32(4), Utc(r.GetDateTime(5)))
            : null;
    }

    public async Task<(IReadOnlyList<MessageRow> Messages, IReadOnlyDictionary<string, int> Counts)> Messages(string department, string batchId, string? state, int limit,
        CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        var counts = new Dictionary<string, int>();
        await using (var count = new NpgsqlCommand(
            "SELECT state, count(*) FROM notifications.messages WHERE department = @department AND batch_id = @batch GROUP BY state", connection))
        {
            count.Parameters.AddWithValue("department", department);
            count.Parameters.AddWithValue("batch", batchId);
            await using var r = await count.ExecuteReaderAsync(cancellationToken);
            while (await r.ReadAsync(cancellationToken)) counts[r.GetString(0)] = (int)r.GetInt64(1);
        }
        await using var list = new NpgsqlCommand("""
            SELECT department, batch_id, id, channel, recipient, state, provider, provider_message_id, code, updated_at FROM notifications.messages
            WHERE department = @department AND batch_id = @batch AND (@state::text IS NULL OR state = @state) ORDER BY id LIMIT @limit
            """, connection);
        list.Parameters.AddWithValue("department", department);
        list.Parameters.AddWithValue("batch", batchId);
        list.Parameters.Add(new NpgsqlParameter("state", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)state ?? DBNull.Value });
        list.Parameters.AddWithValue("limit", limit);
        var messages = new List<MessageRow>();
        await using (var r = await list.ExecuteReaderAsync(cancellationToken))
            while (await r.ReadAsync(cancellationToken))
                messages.Add(new MessageRow(r.GetString(0), r.GetString(1), r.GetString(2), Enum.Parse<Channel>(r.GetString(3)), r.GetString(4), r.GetString(5),
                    r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7), r.IsDBNull(8) ? null : r.GetString(8), Utc(r.GetDateTime(9))));
        return (messages, counts);
    }

    public async Task UpdateMessage(string department, string messageId, string state, string? provider, string? providerMessageId, string? code, DateTimeOffset at)
    {
        await using var command = await database.Command("""
            UPDATE notifications.messages SET state = @state, provider = COALESCE(@provider, provider),
                provider_message_id = COALESCE(@provider_id, provider_message_id), code = COALESCE(@code, code), updated_at = @at
            WHERE department = @department AND id = @id
            """);
        command.Parameters.AddWithValue("state", state);
        command.Parameters.Add(new NpgsqlParameter("provider", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)provider ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("provider_id", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)providerMessageId ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("code", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)code ?? DBNull.Value });
        command.Parameters.AddWithValue("at", at.UtcDateTime);
        command.Parameters.AddWithValue("department", department);
        command.Parameters.AddWithValue("id", messageId);
        await command.ExecuteNonQueryAsync();
    }

    public async Task<IReadOnlyDictionary<string, int>> CountsNow(string department, string batchId)
    {
        await using var count = await database.Command(
            "SELECT state, count(*) FROM notifications.messages WHERE department = @department AND batch_id = @batch GROUP BY state");
        count.Parameters.AddWithValue("department", department);
        count.Parameters.AddWithValue("batch", batchId);
        var counts = new Dictionary<string, int>();
        await using var r = await count.ExecuteReaderAsync();
        while (await r.ReadAsync()) counts[r.GetString(0)] = (int)r.GetInt64(1);
        return counts;
    }

    public async Task<bool> FinishMessage(string department, string batchId, string messageId, string state, string? code, DateTimeOffset at)
    {
        await using var command = await database.Command("""
            WITH ended AS (
                UPDATE notifications.messages SET state = @state, code = COALESCE(@code, code), updated_at = @at, finished = true
                WHERE department = @department AND id = @id AND NOT finished
                RETURNING batch_id)
            UPDATE notifications.batches b SET finished = b.finished + 1 FROM ended
            WHERE b.department = @department AND b.id = ended.batch_id
            RETURNING b.finished = b.total
            """);
        command.Parameters.AddWithValue("state", state);
        command.Parameters.Add(new NpgsqlParameter("code", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)code ?? DBNull.Value });
        command.Parameters.AddWithValue("at", at.UtcDateTime);
        command.Parameters.AddWithValue("department", department);
        command.Parameters.AddWithValue("id", messageId);
        return await command.ExecuteScalarAsync() is true;
    }

    static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));
}
