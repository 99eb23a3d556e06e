using Npgsql;

namespace IntegrationHub.Webhooks.Storage;

/// <summary>
/// Prunes <c>webhooks.deliveries</c> and <c>delivery_attempts</c> on connections of its own, one transaction per batch.
/// Rows a handler holds (an attempt or a replay in progress) are skipped, and rows another pruner took are left to it.
/// </summary>
public sealed class PostgreSqlWebhookDeliveryPruner(string connectionString) : IWebhookDeliveryPruner
{
    public Task<PrunedDeliveries> PruneDelivered(DateTimeOffset before, int batchSize, CancellationToken cancellationToken = default) =>
        Prune("status = 'delivered' AND delivered_at < @before", before, batchSize, cancellationToken);

    public Task<PrunedDeliveries> PruneDeadLettered(DateTimeOffset before, int batchSize, CancellationToken cancellationToken = default) =>
        Prune("status IN ('dead', 'no-callback-registered') AND coalesce(last_attempt_at, created_at) < @before", before, batchSize, cancellationToken);

    // The conditions match the partial indexes of migration 0002, so a batch reads only what it removes.
    async Task<PrunedDeliveries> Prune(string expired, DateTimeOffset before, int batchSize, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"""
            WITH doomed AS (
                SELECT id FROM webhooks.deliveries WHERE {expired}
                LIMIT @batch FOR UPDATE SKIP LOCKED
            ), attempts AS (
                DELETE FROM webhooks.delivery_attempts WHERE delivery_id IN (SELECT id FROM doomed) RETURNING 1
            ), deliveries AS (
                DELETE FROM webhooks.deliveries WHERE id IN (SELECT id FROM doomed) RETURNING 1
            )
            SELECT (SELECT count(*) FROM deliveries)::int, (SELECT count(*) FROM attempts)::int
            """, connection);
        command.Parameters.AddWithValue("before", before.UtcDateTime);
        command.Parameters.AddWithValue("batch", batchSize);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new PrunedDeliveries(reader.GetInt32(0), reader.GetInt32(1));
    }
}
