using System.Text.Json;
using IntegrationHub.Hosting.Persistence;
using Npgsql;
using NpgsqlTypes;

namespace IntegrationHub.Hosting.Departments;

/// <summary>A new resource of a kind, as the group commit writes it.</summary>
internal sealed record PendingResource(StatusKind Kind, NewStatusResource Resource);

/// <summary>
/// The rows of new status resources, for a group of them at once: the resource (which is also its accepted step) and
/// its idempotency key. A resource whose key the department already used on the route (earlier, or earlier in the same
/// group) is removed again and reported as not stored.
/// </summary>
internal sealed class NewStatusResourceRows : IGroupWriter<PendingResource>
{
    public async Task<bool[]> Write(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<PendingResource> items,
        CancellationToken cancellationToken)
    {
        var resources = items.Select(i => i.Resource).ToList();
        // Keys in one order in every group, so two groups that share keys wait for each other instead of deadlocking.
        var keyed = items.Where(i => i.Resource.IdempotencyKey is not null)
            .OrderBy(i => i.Resource.Department, StringComparer.Ordinal)
            .ThenBy(i => i.Resource.Route, StringComparer.Ordinal)
            .ThenBy(i => i.Resource.IdempotencyKey, StringComparer.Ordinal).ToList();

        await using var batch = new NpgsqlBatch(connection, transaction);
        var insertResources = new NpgsqlBatchCommand("""
            INSERT INTO hub.status_resources (id, kind, department, status, status_rank, accepted_at, updated_at, attributes)
            SELECT r.id, r.kind, r.department, r.status, 0, r.at, r.at, r.attributes
            FROM unnest(@ids, @kinds, @departments, @statuses, @ats, @attributes) AS r(id, kind, department, status, at, attributes)
            """);
        insertResources.Parameters.AddWithValue("ids", resources.Select(r => r.Id).ToArray());
        insertResources.Parameters.AddWithValue("kinds", items.Select(i => i.Kind.Name).ToArray());
        insertResources.Parameters.AddWithValue("departments", resources.Select(r => r.Department).ToArray());
        insertResources.Parameters.AddWithValue("statuses", items.Select(i => i.Kind.Initial).ToArray());
        insertResources.Parameters.AddWithValue("ats", resources.Select(r => r.AcceptedAt).ToArray());
        insertResources.Parameters.Add(new NpgsqlParameter("attributes", NpgsqlDbType.Array | NpgsqlDbType.Jsonb)
        {
            Value = resources.Select(r => JsonSerializer.Serialize(r.Attributes)).ToArray(),
        });
        batch.BatchCommands.Add(insertResources);

        if (keyed.Count > 0)
        {
            // A key already taken — by a committed resource, one in a concurrent group (waited for), or one earlier in
            // this group — inserts nothing, so only the resources that got their key come back.
            var insertKeys = new NpgsqlBatchCommand("""
                INSERT INTO hub.idempotency_keys (department, route, idempotency_key, kind, resource_id, body_hash, created_at)
                SELECT k.department, k.route, k.key, k.kind, k.id, k.hash, k.at
                FROM unnest(@departments, @routes, @keys, @kinds, @ids, @hashes, @ats) WITH ORDINALITY AS k(department, route, key, kind, id, hash, at, n)
                ORDER BY k.n
                ON CONFLICT DO NOTHING
                RETURNING resource_id
                """);
            insertKeys.Parameters.AddWithValue("departments", keyed.Select(i => i.Resource.Department).ToArray());
            insertKeys.Parameters.AddWithValue("routes", keyed.Select(i => i.Resource.Route).ToArray());
            insertKeys.Parameters.AddWithValue("keys", keyed.Select(i => i.Resource.IdempotencyKey!).ToArray());
            insertKeys.Parameters.AddWithValue("kinds", keyed.Select(i => i.Kind.Name).ToArray());
            insertKeys.Parameters.AddWithValue("ids", keyed.Select(i => i.Resource.Id).ToArray());
            insertKeys.Parameters.AddWithValue("hashes", keyed.Select(i => i.Resource.BodyHash).ToArray());
            insertKeys.Parameters.AddWithValue("ats", keyed.Select(i => i.Resource.AcceptedAt).ToArray());
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

        var stored = resources.Select(r => r.IdempotencyKey is null || keysTaken.Contains(r.Id)).ToArray();
        var refused = resources.Where((_, i) => !stored[i]).Select(r => r.Id).ToArray();
        if (refused.Length > 0)
        {
            await using var remove = new NpgsqlCommand("DELETE FROM hub.status_resources WHERE id = ANY(@ids)", connection, transaction);
            remove.Parameters.AddWithValue("ids", refused);
            await remove.ExecuteNonQueryAsync(cancellationToken);
        }
        return stored;
    }
}
