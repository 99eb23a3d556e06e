using IntegrationHub.Hosting.Departments;
using Npgsql;

namespace IntegrationHub.Webhooks.Storage;

/// <summary>Reads <c>webhooks.deliveries</c> on connections of its own (outside any handler): hubctl, the ops API.</summary>
public sealed class PostgreSqlWebhookDeliveryReader(string connectionString) : IWebhookDeliveryReader
{
    public async Task<IReadOnlyList<WebhookDelivery>> List(string? status = null, string? department = null, int limit = 100,
        DeliveryCursor? after = null, CancellationToken cancellationToken = default)
    {
        await using var connection = await Open(cancellationToken);
        // Ids compare byte-wise (COLLATE "C"), as the in-memory store compares them, so a cursor means the same in both.
        await using var command = new NpgsqlCommand($"""
            SELECT {DeliveryRows.Columns} FROM webhooks.deliveries
            WHERE (@status::text IS NULL OR status = @status) AND (@department::text IS NULL OR department = @department)
              AND (@after_at::timestamptz IS NULL OR (created_at, id COLLATE "C") < (@after_at, @after_id::text COLLATE "C"))
            ORDER BY created_at DESC, id COLLATE "C" DESC
            LIMIT @limit
            """, connection);
        command.Parameters.AddWithValue("status", (object?)status ?? DBNull.Value);
        command.Parameters.AddWithValue("department", department is null ? DBNull.Value : (object)DepartmentRegistry.Normalize(department));
        command.Parameters.AddWithValue("after_at", (object?)after?.CreatedAt.UtcDateTime ?? DBNull.Value);
        command.Parameters.AddWithValue("after_id", (object?)after?.Id ?? DBNull.Value);
        command.Parameters.AddWithValue("limit", limit);
        var deliveries = new List<WebhookDelivery>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            deliveries.Add(DeliveryRows.Read(reader));
        return deliveries;
    }

    public async Task<WebhookDelivery?> Get(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await Open(cancellationToken);
        await using var command = new NpgsqlCommand($"SELECT {DeliveryRows.Columns} FROM webhooks.deliveries WHERE id = @id", connection);
        command.Parameters.AddWithValue("id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? DeliveryRows.Read(reader) : null;
    }

    public async Task<IReadOnlyList<WebhookAttempt>> Attempts(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await Open(cancellationToken);
        await using var command = new NpgsqlCommand("""
            SELECT delivery_id, attempt, round, attempted_at, status_code, error, duration_ms
            FROM webhooks.delivery_attempts WHERE delivery_id = @id ORDER BY attempt
            """, connection);
        command.Parameters.AddWithValue("id", id);
        var attempts = new List<WebhookAttempt>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            attempts.Add(new WebhookAttempt(
                reader.GetString(0), reader.GetInt32(1), reader.GetInt32(2),
                new DateTimeOffset(DateTime.SpecifyKind(reader.GetDateTime(3), DateTimeKind.Utc)),
                reader.IsDBNull(4) ? null : reader.GetInt32(4),
                reader.IsDBNull(5) ? null : reader.GetString(5),
                TimeSpan.FromMilliseconds(reader.GetInt32(6))));
        return attempts;
    }

    async Task<NpgsqlConnection> Open(CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }
}
