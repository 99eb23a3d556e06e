using IntegrationHub.Hosting.Persistence;
using Npgsql;

namespace IntegrationHub.Gateway.Store;

/// <summary>
/// Requests in schema <c>gateway</c> (Migrations/0001_requests.sql). New requests are written by the group commit;
/// reads and updates run in the ambient transaction.
/// </summary>
public sealed class PostgreSqlRequestStore(HandlerDatabase database) : IRequestStore
{
    const string RankOf = "CASE {0} WHEN 'accepted' THEN 0 WHEN 'in-progress' THEN 1 ELSE 2 END";

    readonly NewRequestRows _newRequests = new();

    /// <summary>Joins the gateway's group commit: under load, many requests share one transaction (see <see cref="NewRequestRows"/>).</summary>
    public Task<bool> Add(NewRequest request, HubTransaction transaction) => transaction.Complete(_newRequests, request);

    public async Task<IdempotencyRecord?> FindIdempotencyKey(string department, string idempotencyKey)
    {
        await using var command = await database.Command(
            "SELECT request_id, body_hash FROM gateway.idempotency_keys WHERE department = @department AND idempotency_key = @key");
        command.Parameters.AddWithValue("department", department);
        command.Parameters.AddWithValue("key", idempotencyKey);
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? new IdempotencyRecord(reader.GetString(0), reader.GetString(1)) : null;
    }

    public async Task<RequestRecord?> Find(string department, string requestId)
    {
        RequestRecord? request;
        await using (var command = await database.Command(
            """
            SELECT service, status, accepted_at, updated_at, result, error FROM gateway.requests
            WHERE request_id = @id AND department = @department
            """))
        {
            command.Parameters.AddWithValue("id", requestId);
            command.Parameters.AddWithValue("department", department);
            await using var reader = await command.ExecuteReaderAsync();
            if (!await reader.ReadAsync())
                return null;
            request = new RequestRecord(requestId, department, reader.GetString(0), reader.GetString(1),
                reader.GetFieldValue<DateTimeOffset>(2), reader.GetFieldValue<DateTimeOffset>(3),
                NullableString(reader, 4), NullableString(reader, 5), []);
        }

        // The request row is the "accepted" step; later steps are rows of gateway.timeline.
        var timeline = new List<TimelineEntry> { new(request.AcceptedAt, RequestStatus.Accepted, null) };
        await using (var command = await database.Command(
            "SELECT at, step, detail FROM gateway.timeline WHERE request_id = @id ORDER BY at, id"))
        {
            command.Parameters.AddWithValue("id", requestId);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                timeline.Add(new TimelineEntry(reader.GetFieldValue<DateTimeOffset>(0), reader.GetString(1), NullableString(reader, 2)));
        }
        return request with { Timeline = timeline };
    }

    public async Task<bool> Apply(RequestUpdate update)
    {
        await using (var entry = await database.Command(
            """
            INSERT INTO gateway.timeline (request_id, entry_id, at, step, detail)
            SELECT request_id, @entry, @at, @step, @detail FROM gateway.requests WHERE request_id = @id AND department = @department
            ON CONFLICT (request_id, entry_id) DO NOTHING
            """))
        {
            entry.Parameters.AddWithValue("id", update.RequestId);
            entry.Parameters.AddWithValue("department", update.Department);
            entry.Parameters.AddWithValue("entry", update.EntryId);
            entry.Parameters.AddWithValue("at", update.At);
            entry.Parameters.AddWithValue("step", update.Step);
            entry.Parameters.Add(new NpgsqlParameter("detail", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)update.Detail ?? DBNull.Value });
            if (await entry.ExecuteNonQueryAsync() == 0)
                return false;
        }

        // The row lock serialises concurrent updates; the CASEs see the latest committed status.
        var moves = $"{string.Format(RankOf, "status")} < {string.Format(RankOf, "@status")}";
        await using var status = await database.Command(
            $"""
            UPDATE gateway.requests SET
                updated_at = greatest(updated_at, @at),
                result = CASE WHEN {moves} THEN @result ELSE result END,
                error = CASE WHEN {moves} THEN @error ELSE error END,
                status = CASE WHEN {moves} THEN @status ELSE status END
            WHERE request_id = @id
            """);
        status.Parameters.AddWithValue("id", update.RequestId);
        status.Parameters.AddWithValue("at", update.At);
        status.Parameters.AddWithValue("status", update.Status);
        status.Parameters.Add(new NpgsqlParameter("result", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)update.Result ?? DBNull.Value });
        status.Parameters.Add(new NpgsqlParameter("error", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)update.Error ?? DBNull.Value });
        await status.ExecuteNonQueryAsync();
        return true;
    }

    static string? NullableString(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
