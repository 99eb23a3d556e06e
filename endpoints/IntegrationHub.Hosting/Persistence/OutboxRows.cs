using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Rebus.Messages;

namespace IntegrationHub.Hosting.Persistence;

/// <summary>A message waiting in <c>hub.outbox</c>: <paramref name="SentBy"/> is the handled message (or local transaction) that sent it.</summary>
internal readonly record struct OutboxMessage(string SentBy, string Destination, TransportMessage Message);

/// <summary>Writes outbox rows: one statement for any number of messages.</summary>
internal static class OutboxRows
{
    /// <summary>Inserts the messages in <paramref name="transaction"/>; returns their outbox ids, to remove once they are sent.</summary>
    public static async Task<long[]> Insert(NpgsqlConnection connection, NpgsqlTransaction transaction, string endpoint,
        IReadOnlyCollection<OutboxMessage> messages, CancellationToken cancellationToken = default)
    {
        if (messages.Count == 0) return [];
        await using var batch = new NpgsqlBatch(connection, transaction) { BatchCommands = { Command(endpoint, messages) } };
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        return await ReadIds(reader, messages.Count, cancellationToken);
    }

    /// <summary>The insert of <paramref name="messages"/> (at least one), to run alone or first in a batch; it returns their ids.</summary>
    public static NpgsqlBatchCommand Command(string endpoint, IReadOnlyCollection<OutboxMessage> messages)
    {
        var sentBy = new string[messages.Count];
        var destinations = new string[messages.Count];
        var headers = new string[messages.Count];
        var bodies = new byte[messages.Count][];
        var i = 0;
        foreach (var message in messages)
        {
            sentBy[i] = message.SentBy;
            destinations[i] = message.Destination;
            headers[i] = JsonSerializer.Serialize(message.Message.Headers);
            bodies[i] = message.Message.Body;
            i++;
        }

        var insert = new NpgsqlBatchCommand(
            """
            INSERT INTO hub.outbox (endpoint, message_id, destination, headers, body)
            SELECT @endpoint, m.sent_by, m.destination, m.headers, m.body
            FROM unnest(@sent_by, @destinations, @headers, @bodies) AS m(sent_by, destination, headers, body)
            RETURNING id
            """);
        insert.Parameters.AddWithValue("endpoint", endpoint);
        insert.Parameters.AddWithValue("sent_by", sentBy);
        insert.Parameters.AddWithValue("destinations", destinations);
        insert.Parameters.Add(new NpgsqlParameter("headers", NpgsqlDbType.Array | NpgsqlDbType.Jsonb) { Value = headers });
        insert.Parameters.AddWithValue("bodies", bodies);
        return insert;
    }

    /// <summary>The ids <see cref="Command"/> returned: the current result set of <paramref name="reader"/>.</summary>
    public static async Task<long[]> ReadIds(NpgsqlDataReader reader, int count, CancellationToken cancellationToken = default)
    {
        var ids = new long[count];
        var read = 0;
        while (await reader.ReadAsync(cancellationToken)) ids[read++] = reader.GetInt64(0);
        return ids;
    }
}
