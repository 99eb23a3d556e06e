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

        await using var insert = new NpgsqlCommand(
            """
            INSERT INTO hub.outbox (endpoint, message_id, destination, headers, body)
            SELECT @endpoint, m.sent_by, m.destination, m.headers, m.body
            FROM unnest(@sent_by, @destinations, @headers, @bodies) AS m(sent_by, destination, headers, body)
            RETURNING id
            """, connection, transaction);
        insert.Parameters.AddWithValue("endpoint", endpoint);
        insert.Parameters.AddWithValue("sent_by", sentBy);
        insert.Parameters.AddWithValue("destinations", destinations);
        insert.Parameters.Add(new NpgsqlParameter("headers", NpgsqlDbType.Array | NpgsqlDbType.Jsonb) { Value = headers });
        insert.Parameters.AddWithValue("bodies", bodies);

        var ids = new long[messages.Count];
        var count = 0;
        await using var reader = await insert.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) ids[count++] = reader.GetInt64(0);
        return ids;
    }
}
