using IntegrationHub.Hosting.Persistence;
using Npgsql;

namespace IntegrationHub.Providers.Exchanges;

/// <summary>Tables <c>providers.finished_exchanges</c> and <c>providers.unmatched_callbacks</c> (see Migrations).</summary>
public sealed class PostgreSqlProviderExchangeStore(string connectionString, HandlerDatabase database) : IProviderExchangeStore
{
    readonly HandlerDatabase _database = database;

    public async Task<bool> HasFinished(string requestId)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM providers.finished_exchanges WHERE request_id = @id)", connection);
        command.Parameters.AddWithValue("id", requestId);
        return (bool)(await command.ExecuteScalarAsync())!;
    }

    public async Task Finish(FinishedExchange exchange)
    {
        await using var command = await _database.Command("""
            INSERT INTO providers.finished_exchanges (request_id, provider, outcome, answered_by_provider, finished_at)
            VALUES (@id, @provider, @outcome, @answered, @at) ON CONFLICT (request_id) DO NOTHING
            """);
        command.Parameters.AddWithValue("id", exchange.RequestId);
        command.Parameters.AddWithValue("provider", exchange.Provider);
        command.Parameters.AddWithValue("outcome", exchange.Outcome);
        command.Parameters.AddWithValue("answered", exchange.AnsweredByProvider);
        command.Parameters.AddWithValue("at", exchange.FinishedAt.ToUniversalTime());
        await command.ExecuteNonQueryAsync();
    }

    public async Task<FinishedExchange?> FindFinished(string requestId)
    {
        await using var command = await _database.Command("""
            SELECT provider, outcome, answered_by_provider, finished_at FROM providers.finished_exchanges WHERE request_id = @id
            """);
        command.Parameters.AddWithValue("id", requestId);
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync()
            ? new FinishedExchange(requestId, reader.GetString(0), reader.GetString(1), reader.GetBoolean(2), reader.GetFieldValue<DateTimeOffset>(3))
            : null;
    }

    public async Task<bool> KeepUnmatched(UnmatchedCallback callback)
    {
        await using var command = await _database.Command("""
            INSERT INTO providers.unmatched_callbacks (callback_id, provider, correlation_id, status, reason, result, error, received_at)
            VALUES (@id, @provider, @correlation, @status, @reason, @result, @error, @received) ON CONFLICT (callback_id) DO NOTHING
            """);
        command.Parameters.AddWithValue("id", callback.CallbackId);
        command.Parameters.AddWithValue("provider", callback.Provider);
        command.Parameters.AddWithValue("correlation", callback.CorrelationId);
        command.Parameters.AddWithValue("status", callback.Status);
        command.Parameters.AddWithValue("reason", callback.Reason);
        command.Parameters.AddWithValue("result", (object?)callback.Result ?? DBNull.Value);
        command.Parameters.AddWithValue("error", (object?)callback.Error ?? DBNull.Value);
        command.Parameters.AddWithValue("received", callback.ReceivedAt.ToUniversalTime());
        return await command.ExecuteNonQueryAsync() == 1;
    }

    public async Task<IReadOnlyList<UnmatchedCallback>> ListUnmatched(string? provider = null, int limit = 100, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("""
            SELECT callback_id, provider, correlation_id, status, reason, result, error, received_at
            FROM providers.unmatched_callbacks
            WHERE @provider::text IS NULL OR lower(provider) = lower(@provider::text)
            ORDER BY received_at DESC LIMIT @limit
            """, connection);
        command.Parameters.AddWithValue("provider", (object?)provider ?? DBNull.Value);
        command.Parameters.AddWithValue("limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var found = new List<UnmatchedCallback>();
        while (await reader.ReadAsync(cancellationToken))
            found.Add(new UnmatchedCallback(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6),
                reader.GetFieldValue<DateTimeOffset>(7)));
        return found;
    }

    public Task<int> PruneFinished(DateTimeOffset before, int batchSize, CancellationToken cancellationToken = default) =>
        Prune("providers.finished_exchanges", "finished_at", before, batchSize, cancellationToken);

    public Task<int> PruneUnmatched(DateTimeOffset before, int batchSize, CancellationToken cancellationToken = default) =>
        Prune("providers.unmatched_callbacks", "received_at", before, batchSize, cancellationToken);

    // One short transaction per batch, rows addressed by ctid (both tables are insert-only, so a row's ctid stays put
    // while it is locked); SKIP LOCKED lets several instances prune side by side.
    async Task<int> Prune(string table, string timeColumn, DateTimeOffset before, int batchSize, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"""
            DELETE FROM {table} WHERE ctid = ANY(ARRAY(
                SELECT ctid FROM {table} WHERE {timeColumn} < @before LIMIT @batch FOR UPDATE SKIP LOCKED))
            """, connection);
        command.Parameters.AddWithValue("before", before.ToUniversalTime());
        command.Parameters.AddWithValue("batch", batchSize);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
