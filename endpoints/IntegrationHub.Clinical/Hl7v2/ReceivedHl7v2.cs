using IntegrationHub.Hosting.Persistence;
using Npgsql;

namespace IntegrationHub.Clinical.Hl7v2;

/// <summary>
/// The key of a handed-on message: the department, the sender (MSH-3.1 and MSH-4.1, upper case) and its control id
/// (MSH-10).
/// </summary>
public sealed record ReceivedHl7v2(string MessageId, string Department, string SendingApplication, string SendingFacility, string ControlId,
    string MessageType, string Channel, DateTimeOffset ReceivedAt)
{
    internal (string, string, string, string) Key => (Department, SendingApplication, SendingFacility, ControlId);
}

/// <summary>
/// The keys of handed-on messages, each kept for the duplicate window (<see cref="Hl7v2RetentionOptions.DuplicateWindow"/>):
/// the hand-off itself commits through <see cref="Add"/>.
/// </summary>
public interface IReceivedHl7v2Store
{
    /// <summary>
    /// Commits the key together with <paramref name="transaction"/>'s messages (the hand-off); false — nothing written,
    /// nothing sent — when the same key was handed on within its window.
    /// </summary>
    Task<bool> Add(HubTransaction transaction, ReceivedHl7v2 received);

    /// <summary>Removes up to <paramref name="batchSize"/> keys received before <paramref name="before"/>; how many it removed.</summary>
    Task<int> Prune(DateTimeOffset before, int batchSize, CancellationToken cancellationToken);
}

internal sealed class InMemoryReceivedHl7v2Store(Hl7v2RetentionOptions retention) : IReceivedHl7v2Store
{
    readonly Dictionary<(string, string, string, string), DateTimeOffset> _keys = [];
    // One hand-off at a time (in memory, the embedded host's mode): a resend never hears "duplicate" while the first
    // copy's commit can still fail.
    readonly SemaphoreSlim _oneAtATime = new(1, 1);

    public async Task<bool> Add(HubTransaction transaction, ReceivedHl7v2 received)
    {
        await _oneAtATime.WaitAsync();
        try
        {
            lock (_keys)
                if (_keys.TryGetValue(received.Key, out var at) && at >= received.ReceivedAt - retention.DuplicateWindow)
                    return false;
            await transaction.Complete();
            lock (_keys) _keys[received.Key] = received.ReceivedAt;
            return true;
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    public Task<int> Prune(DateTimeOffset before, int batchSize, CancellationToken cancellationToken)
    {
        lock (_keys)
        {
            var old = _keys.Where(k => k.Value < before).Take(batchSize).Select(k => k.Key).ToList();
            foreach (var key in old) _keys.Remove(key);
            return Task.FromResult(old.Count);
        }
    }
}

internal sealed class PostgreSqlReceivedHl7v2Store(string connectionString, Hl7v2RetentionOptions retention) : IReceivedHl7v2Store
{
    readonly ReceivedHl7v2Rows _rows = new(retention.DuplicateWindow);

    public Task<bool> Add(HubTransaction transaction, ReceivedHl7v2 received) => transaction.Complete(_rows, received);

    public async Task<int> Prune(DateTimeOffset before, int batchSize, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("""
            DELETE FROM clinical.hl7v2_received WHERE ctid IN (
                SELECT ctid FROM clinical.hl7v2_received WHERE received_at < @before LIMIT @batch FOR UPDATE SKIP LOCKED)
            """, connection);
        command.Parameters.AddWithValue("before", before.UtcDateTime);
        command.Parameters.AddWithValue("batch", batchSize);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>
/// The keys of a group of hand-offs in one statement. A key held within its window (committed, or in a concurrent group,
/// which is waited for) keeps its row and is reported not stored; one past its window is taken over. The same key twice
/// in one group: the first is stored, the others are duplicates.
/// </summary>
internal sealed class ReceivedHl7v2Rows(TimeSpan window) : IGroupWriter<ReceivedHl7v2>
{
    public async Task<bool[]> Write(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<ReceivedHl7v2> items,
        CancellationToken cancellationToken)
    {
        var first = new Dictionary<(string, string, string, string), ReceivedHl7v2>();
        foreach (var item in items)
            first.TryAdd(item.Key, item);
        // One order in every group, so two groups that share keys wait for each other instead of deadlocking.
        var rows = first.Values.OrderBy(r => r.Department, StringComparer.Ordinal).ThenBy(r => r.SendingApplication, StringComparer.Ordinal)
            .ThenBy(r => r.SendingFacility, StringComparer.Ordinal).ThenBy(r => r.ControlId, StringComparer.Ordinal).ToList();

        await using var command = new NpgsqlCommand("""
            INSERT INTO clinical.hl7v2_received AS r
                (department, sending_application, sending_facility, control_id, message_id, message_type, channel, received_at)
            SELECT k.department, k.application, k.facility, k.control_id, k.id, k.type, k.channel, k.at
            FROM unnest(@departments, @applications, @facilities, @controlIds, @ids, @types, @channels, @ats)
                WITH ORDINALITY AS k(department, application, facility, control_id, id, type, channel, at, n)
            ORDER BY k.n
            ON CONFLICT (department, sending_application, sending_facility, control_id) DO UPDATE
                SET message_id = EXCLUDED.message_id, message_type = EXCLUDED.message_type, channel = EXCLUDED.channel,
                    received_at = EXCLUDED.received_at
                WHERE r.received_at < EXCLUDED.received_at - @window
            RETURNING message_id
            """, connection, transaction);
        command.Parameters.AddWithValue("departments", rows.Select(r => r.Department).ToArray());
        command.Parameters.AddWithValue("applications", rows.Select(r => r.SendingApplication).ToArray());
        command.Parameters.AddWithValue("facilities", rows.Select(r => r.SendingFacility).ToArray());
        command.Parameters.AddWithValue("controlIds", rows.Select(r => r.ControlId).ToArray());
        command.Parameters.AddWithValue("ids", rows.Select(r => r.MessageId).ToArray());
        command.Parameters.AddWithValue("types", rows.Select(r => r.MessageType).ToArray());
        command.Parameters.AddWithValue("channels", rows.Select(r => r.Channel).ToArray());
        command.Parameters.AddWithValue("ats", rows.Select(r => r.ReceivedAt.UtcDateTime).ToArray());
        command.Parameters.AddWithValue("window", window);

        var stored = new HashSet<string>(StringComparer.Ordinal);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            while (await reader.ReadAsync(cancellationToken))
                stored.Add(reader.GetString(0));
        return items.Select(i => stored.Contains(i.MessageId)).ToArray();
    }
}
