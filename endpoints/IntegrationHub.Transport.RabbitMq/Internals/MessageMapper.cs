using System.Globalization;
using System.Text;
using RabbitMQ.Client;
using Rebus.Messages;
using Headers = Rebus.Messages.Headers;

namespace IntegrationHub.Transport.RabbitMq.Internals;

/// <summary>
/// Maps Rebus headers onto AMQP properties (so operators see message id, type, correlation id... in the management UI)
/// and keeps every Rebus header as a string entry of the AMQP header table.
/// </summary>
internal static class MessageMapper
{
    public const string SendingEndpointHeader = "hub-sending-endpoint";
    public const string AmqpDeliveryCountHeader = "x-delivery-count";

    public static BasicProperties ToProperties(TransportMessage message)
    {
        var headers = message.Headers;
        var properties = new BasicProperties
        {
            Persistent = !headers.ContainsKey(Headers.Express),
            Headers = new Dictionary<string, object?>(headers.Count),
        };

        if (headers.TryGetValue(Headers.MessageId, out var messageId)) properties.MessageId = messageId;
        if (headers.TryGetValue(Headers.Type, out var type)) properties.Type = type;
        if (headers.TryGetValue(Headers.CorrelationId, out var correlationId)) properties.CorrelationId = correlationId;
        if (headers.TryGetValue(Headers.ContentType, out var contentType)) properties.ContentType = contentType;
        if (headers.TryGetValue(SendingEndpointHeader, out var sendingEndpoint)) properties.AppId = sendingEndpoint;

        var sentTime = headers.TryGetValue(Headers.SentTime, out var sent)
            && DateTimeOffset.TryParse(sent, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var parsed)
                ? parsed
                : DateTimeOffset.UtcNow;
        properties.Timestamp = new AmqpTimestamp(sentTime.ToUnixTimeSeconds());

        if (headers.TryGetValue(Headers.TimeToBeReceived, out var ttbr)
            && TimeSpan.TryParse(ttbr, CultureInfo.InvariantCulture, out var timeToBeReceived))
        {
            var milliseconds = Math.Max(0L, (long)timeToBeReceived.TotalMilliseconds);
            properties.Expiration = milliseconds.ToString(CultureInfo.InvariantCulture);
        }

        foreach (var (key, value) in headers)
        {
            // the delivery count is computed by the receiving side from the broker's own counter
            if (key is Headers.DeliveryCount or AmqpDeliveryCountHeader) continue;
            properties.Headers[key] = value;
        }

        return properties;
    }

    public static TransportMessage ToTransportMessage(IReadOnlyBasicProperties properties, ReadOnlyMemory<byte> body, bool redelivered)
    {
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        long? amqpDeliveryCount = null;

        if (properties.Headers != null)
        {
            foreach (var (key, value) in properties.Headers)
            {
                if (key == AmqpDeliveryCountHeader)
                {
                    amqpDeliveryCount = value switch
                    {
                        long l => l,
                        int i => i,
                        byte[] bytes when long.TryParse(Encoding.UTF8.GetString(bytes), out var p) => p,
                        _ => null,
                    };
                    continue;
                }
                if (key == Headers.DeliveryCount) continue;
                var text = AsString(value);
                if (text != null) headers[key] = text;
            }
        }

        // messages published by other (non-Rebus) clients: fall back to the AMQP properties
        if (!headers.ContainsKey(Headers.MessageId) && properties.MessageId != null) headers[Headers.MessageId] = properties.MessageId;
        if (!headers.ContainsKey(Headers.Type) && properties.Type != null) headers[Headers.Type] = properties.Type;
        if (!headers.ContainsKey(Headers.CorrelationId) && properties.CorrelationId != null) headers[Headers.CorrelationId] = properties.CorrelationId;
        if (!headers.ContainsKey(Headers.ContentType) && properties.ContentType != null) headers[Headers.ContentType] = properties.ContentType;

        // quorum queues count earlier (failed or interrupted) deliveries in x-delivery-count; Rebus counts from 1
        if (amqpDeliveryCount is { } previousDeliveries)
        {
            headers[Headers.DeliveryCount] = (previousDeliveries + 1).ToString(CultureInfo.InvariantCulture);
        }
        else if (!redelivered)
        {
            headers[Headers.DeliveryCount] = "1";
        }

        return new TransportMessage(headers, body.ToArray());
    }

    static string? AsString(object? value) => value switch
    {
        null => null,
        string s => s,
        byte[] bytes => Encoding.UTF8.GetString(bytes),
        AmqpTimestamp timestamp => timestamp.UnixTime.ToString(CultureInfo.InvariantCulture),
        IFormattable formattable when value is not System.Collections.IEnumerable => formattable.ToString(null, CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        _ => null, // tables and arrays (e.g. x-death) have no faithful string form
    };
}
