using IntegrationHub.Hosting.Persistence;

namespace IntegrationHub.Webhooks.Storage;

/// <summary>Table <c>webhooks.deliveries</c> (+ <c>delivery_attempts</c>), written in the handled message's transaction.</summary>
internal sealed class PostgreSqlWebhookDeliveryStore(HandlerDatabase database) : IWebhookDeliveryStore
{
    public async Task<bool> TryAdd(WebhookDelivery delivery)
    {
        await using var command = await database.Command(
            $"INSERT INTO webhooks.deliveries ({DeliveryRows.Columns}) VALUES ({DeliveryRows.Parameters}) ON CONFLICT (id) DO NOTHING");
        DeliveryRows.Bind(command, delivery);
        return await command.ExecuteNonQueryAsync() == 1;
    }

    public async Task<WebhookDelivery?> Find(string id)
    {
        // Held until the message's transaction ends: an attempt and a replay of the same delivery never interleave.
        await using var command = await database.Command($"SELECT {DeliveryRows.Columns} FROM webhooks.deliveries WHERE id = @id FOR UPDATE");
        command.Parameters.AddWithValue("id", id);
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? DeliveryRows.Read(reader) : null;
    }

    public async Task Save(WebhookDelivery delivery, WebhookAttempt? attempt = null)
    {
        await using (var command = await database.Command($"""
            UPDATE webhooks.deliveries SET url = @url, status = @status, attempts = @attempts, round = @round,
                round_attempts = @round_attempts, last_attempt_at = @last_attempt_at, last_status_code = @last_status_code,
                last_error = @last_error, next_attempt_at = @next_attempt_at, delivered_at = @delivered_at
            WHERE id = @id
            """))
        {
            DeliveryRows.Bind(command, delivery);
            await command.ExecuteNonQueryAsync();
        }

        if (attempt is null) return;
        await using var insert = await database.Command("""
            INSERT INTO webhooks.delivery_attempts (delivery_id, attempt, round, attempted_at, status_code, error, duration_ms)
            VALUES (@id, @attempt, @round, @at, @status_code, @error, @duration_ms)
            ON CONFLICT (delivery_id, attempt) DO NOTHING
            """);
        insert.Parameters.AddWithValue("id", attempt.DeliveryId);
        insert.Parameters.AddWithValue("attempt", attempt.Attempt);
        insert.Parameters.AddWithValue("round", attempt.Round);
        insert.Parameters.AddWithValue("at", attempt.AttemptedAt.UtcDateTime);
        insert.Parameters.AddWithValue("status_code", (object?)attempt.StatusCode ?? DBNull.Value);
        insert.Parameters.AddWithValue("error", (object?)attempt.Error ?? DBNull.Value);
        insert.Parameters.AddWithValue("duration_ms", (int)attempt.Duration.TotalMilliseconds);
        await insert.ExecuteNonQueryAsync();
    }
}
