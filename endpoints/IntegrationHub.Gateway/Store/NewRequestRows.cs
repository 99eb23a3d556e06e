using IntegrationHub.Hosting.Persistence;
using Npgsql;

namespace IntegrationHub.Gateway.Store;

/// <summary>
/// The rows of new requests, for a group of them at once: the request (which is also its "accepted" timeline step)
/// and its idempotency key. A request whose key the department already used (earlier, or earlier in the same group) is
/// removed again and reported as not stored.
/// </summary>
internal sealed class NewRequestRows : IGroupWriter<NewRequest>
{
    public async Task<bool[]> Write(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<NewRequest> requests,
        CancellationToken cancellationToken)
    {
        var ids = requests.Select(r => r.RequestId).ToArray();
        var ats = requests.Select(r => r.AcceptedAt).ToArray();
        // Keys in one order in every group, so two groups that share keys wait for each other instead of deadlocking.
        var keyed = requests.Where(r => r.IdempotencyKey is not null)
            .OrderBy(r => r.Department, StringComparer.Ordinal).ThenBy(r => r.IdempotencyKey, StringComparer.Ordinal).ToList();

        await using var batch = new NpgsqlBatch(connection, transaction);
        var insertRequests = new NpgsqlBatchCommand(
            """
            INSERT INTO gateway.requests (request_id, department, service, status, accepted_at, updated_at)
            SELECT r.id, r.department, r.service, 'accepted', r.at, r.at
            FROM unnest(@ids, @departments, @services, @ats) AS r(id, department, service, at)
            """);
        insertRequests.Parameters.AddWithValue("ids", ids);
        insertRequests.Parameters.AddWithValue("departments", requests.Select(r => r.Department).ToArray());
        insertRequests.Parameters.AddWithValue("services", requests.Select(r => r.Service).ToArray());
        insertRequests.Parameters.AddWithValue("ats", ats);
        batch.BatchCommands.Add(insertRequests);

        if (keyed.Count > 0)
        {
            // A key already taken — by a committed request, one in a concurrent group (waited for), or one earlier in
            // this group — inserts nothing, so only the requests that got their key come back.
            var insertKeys = new NpgsqlBatchCommand(
                """
                INSERT INTO gateway.idempotency_keys (department, idempotency_key, request_id, body_hash, created_at)
                SELECT k.department, k.key, k.id, k.hash, k.at
                FROM unnest(@departments, @keys, @ids, @hashes, @ats) WITH ORDINALITY AS k(department, key, id, hash, at, n)
                ORDER BY k.n
                ON CONFLICT DO NOTHING
                RETURNING request_id
                """);
            insertKeys.Parameters.AddWithValue("departments", keyed.Select(r => r.Department).ToArray());
            insertKeys.Parameters.AddWithValue("keys", keyed.Select(r => r.IdempotencyKey!).ToArray());
            insertKeys.Parameters.AddWithValue("ids", keyed.Select(r => r.RequestId).ToArray());
            insertKeys.Parameters.AddWithValue("hashes", keyed.Select(r => r.BodyHash).ToArray());
            insertKeys.Parameters.AddWithValue("ats", keyed.Select(r => r.AcceptedAt).ToArray());
            batch.BatchCommands.Add(insertKeys);
        }

        var keysTaken = new HashSet<string>(StringComparer.Ordinal);
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            do
            {
                while (await reader.ReadAsync(cancellationToken))
                    keysTaken.Add(reader.GetString(0));
            } while (await reader.NextResultAsync(cancellationToken));
        }

        var stored = requests.Select(r => r.IdempotencyKey is null || keysTaken.Contains(r.RequestId)).ToArray();
        var refused = requests.Where((_, i) => !stored[i]).Select(r => r.RequestId).ToArray();
        if (refused.Length > 0)
        {
            await using var remove = new NpgsqlCommand("DELETE FROM gateway.requests WHERE request_id = ANY(@ids)", connection, transaction);
            remove.Parameters.AddWithValue("ids", refused);
            await remove.ExecuteNonQueryAsync(cancellationToken);
        }
        return stored;
    }
}
