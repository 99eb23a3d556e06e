using IntegrationHub.Hosting.Persistence;
using Npgsql;

namespace IntegrationHub.Abdm.Links;

/// <summary>An answer from the gateway that matched no call the hub waits on. No body is kept: ids, the call, ABDM's code.</summary>
public sealed record UnmatchedCall(string HipId, string Call, string RequestId, string AnsweredRequestId, string? ErrorCode, string Reason,
    DateTimeOffset ReceivedAt);

/// <summary>Kept for operators (<c>GET /api/v1/abdm/unmatched-calls</c>, scope <c>ops</c>), <c>Hub:Abdm:Retention:UnmatchedCalls</c> long.</summary>
public interface IUnmatchedCalls
{
    Task Keep(UnmatchedCall call);

    Task<IReadOnlyList<UnmatchedCall>> List(int limit, CancellationToken cancellationToken);

    Task<int> Prune(DateTimeOffset before, int batchSize, CancellationToken cancellationToken);
}

internal sealed class InMemoryUnmatchedCalls : IUnmatchedCalls
{
    readonly List<UnmatchedCall> _calls = [];

    public Task Keep(UnmatchedCall call)
    {
        lock (_calls) _calls.Add(call);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<UnmatchedCall>> List(int limit, CancellationToken cancellationToken)
    {
        lock (_calls) return Task.FromResult<IReadOnlyList<UnmatchedCall>>(_calls.OrderByDescending(c => c.ReceivedAt).Take(limit).ToList());
    }

    public Task<int> Prune(DateTimeOffset before, int batchSize, CancellationToken cancellationToken)
    {
        lock (_calls) return Task.FromResult(_calls.RemoveAll(c => c.ReceivedAt < before));
    }
}

internal sealed class PostgreSqlUnmatchedCalls(string connectionString, HandlerDatabase database) : IUnmatchedCalls
{
    public async Task Keep(UnmatchedCall call)
    {
        await using var command = await database.Command("""
            INSERT INTO abdm.unmatched_calls (hip_id, call, request_id, answered_request_id, error_code, reason, received_at)
            VALUES (@hip, @call, @request, @answered, @code, @reason, @at)
            """);
        command.Parameters.AddWithValue("hip", call.HipId);
        command.Parameters.AddWithValue("call", call.Call);
        command.Parameters.AddWithValue("request", call.RequestId);
        command.Parameters.AddWithValue("answered", call.AnsweredRequestId);
        command.Parameters.AddWithValue("code", (object?)call.ErrorCode ?? DBNull.Value);
        command.Parameters.AddWithValue("reason", call.Reason);
        command.Parameters.AddWithValue("at", call.ReceivedAt.UtcDateTime);
        await command.ExecuteNonQueryAsync();
    }

    public async Task<IReadOnlyList<UnmatchedCall>> List(int limit, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("""
            SELECT hip_id, call, request_id, answered_request_id, error_code, reason, received_at
            FROM abdm.unmatched_calls ORDER BY received_at DESC, id DESC LIMIT @limit
            """, connection);
        command.Parameters.AddWithValue("limit", limit);
        var calls = new List<UnmatchedCall>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            calls.Add(new UnmatchedCall(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetString(5), new DateTimeOffset(reader.GetDateTime(6), TimeSpan.Zero)));
        return calls;
    }

    public async Task<int> Prune(DateTimeOffset before, int batchSize, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("""
            DELETE FROM abdm.unmatched_calls WHERE id IN (SELECT id FROM abdm.unmatched_calls WHERE received_at < @before LIMIT @batch)
            """, connection);
        command.Parameters.AddWithValue("before", before.UtcDateTime);
        command.Parameters.AddWithValue("batch", batchSize);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
