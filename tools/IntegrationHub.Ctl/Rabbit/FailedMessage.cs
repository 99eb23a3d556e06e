using IntegrationHub.Hosting.Bus;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using RabbitMQ.Client;

namespace IntegrationHub.Ctl.Rabbit;

/// <summary>A message in the error queue, decoded for display.</summary>
public sealed record FailedMessage
{
    public required string MessageId { get; init; }
    public string? Type { get; init; }
    public string? SourceQueue { get; init; }
    public DateTimeOffset? FailedAt { get; init; }
    public int? Attempts { get; init; }
    public int? DelayedRetries { get; init; }
    public string? ExceptionType { get; init; }
    public string? ExceptionMessage { get; init; }
    public string? ErrorDetails { get; init; }
    public string? CorrelationId { get; init; }
    public string? Tenant { get; init; }
    public string? CausationId { get; init; }
    public string? SendingEndpoint { get; init; }

    /// <summary>True when the broker has handed this message out before (e.g. an earlier listing).</summary>
    public bool Redelivered { get; init; }

    /// <summary>All AMQP header-table entries, values rendered as text.</summary>
    public required IReadOnlyDictionary<string, string> Headers { get; init; }

    /// <summary>The AMQP basic properties that are present, rendered as text.</summary>
    public required IReadOnlyDictionary<string, string> Properties { get; init; }

    public int BodyLength { get; init; }

    /// <summary>The body when it is valid UTF-8 text (JSON is kept as sent), else null.</summary>
    public string? BodyText { get; init; }

    /// <summary>The body as base64 when it is not UTF-8 text, else null.</summary>
    public string? BodyBase64 { get; init; }

    /// <summary><c>OrderPlaced</c> for <c>Contracts.Orders.OrderPlaced, Contracts</c>.</summary>
    [JsonIgnore]
    public string? ShortType => ShortTypeName(Type);

    [JsonIgnore]
    public string? ShortExceptionType => ShortTypeName(ExceptionType);

    /// <summary>The body pretty-printed when it is JSON, else the text, else null.</summary>
    public string? FormatBody()
    {
        if (BodyText is null)
        {
            return null;
        }

        try
        {
            var node = JsonNode.Parse(BodyText);
            return node?.ToJsonString(PrettyJson) ?? BodyText;
        }
        catch (JsonException)
        {
            return BodyText;
        }
    }

    private static readonly JsonSerializerOptions PrettyJson = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string? ShortTypeName(string? typeName)
    {
        if (string.IsNullOrEmpty(typeName))
        {
            return typeName;
        }

        // Strip the assembly part (outside generic brackets) and the namespace.
        var depth = 0;
        var end = typeName.Length;
        for (var i = 0; i < typeName.Length; i++)
        {
            var c = typeName[i];
            if (c == '[') depth++;
            else if (c == ']') depth--;
            else if (c == ',' && depth == 0)
            {
                end = i;
                break;
            }
        }

        var name = typeName[..end].Trim();
        var generic = name.IndexOfAny(['`', '[']);
        var searchEnd = generic >= 0 ? generic : name.Length;
        var dot = name.LastIndexOf('.', searchEnd - 1);
        var plus = name.LastIndexOf('+', searchEnd - 1);
        var cut = Math.Max(dot, plus);
        return cut >= 0 ? name[(cut + 1)..] : name;
    }

    internal static FailedMessage From(IReadOnlyBasicProperties properties, ReadOnlyMemory<byte> body, bool redelivered)
    {
        var headers = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (properties.Headers is { } table)
        {
            foreach (var (key, value) in table)
            {
                headers[key] = HeaderValue.ToText(value);
            }
        }

        string? Header(string name) => headers.TryGetValue(name, out var v) && v.Length > 0 ? v : null;

        var messageId = Header(Rebus.Messages.Headers.MessageId) ?? properties.MessageId ?? "(no id)";
        string? bodyText = null;
        string? bodyBase64 = null;
        if (TryDecodeUtf8(body.Span, out var text))
        {
            bodyText = text;
        }
        else
        {
            bodyBase64 = Convert.ToBase64String(body.Span);
        }

        return new FailedMessage
        {
            MessageId = messageId,
            Type = Header(Rebus.Messages.Headers.Type) ?? properties.Type,
            SourceQueue = Header(Rebus.Messages.Headers.SourceQueue),
            FailedAt = DateTimeOffset.TryParse(Header(HubHeaders.ErrorFailedAt), CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var failedAt)
                ? failedAt
                : null,
            Attempts = ParseInt(Header(HubHeaders.ErrorAttempts)),
            DelayedRetries = ParseInt(Header(HubHeaders.DelayedRetries)),
            ExceptionType = Header(HubHeaders.ErrorType),
            ExceptionMessage = Header(HubHeaders.ErrorMessage),
            ErrorDetails = Header(Rebus.Messages.Headers.ErrorDetails),
            CorrelationId = Header(Rebus.Messages.Headers.CorrelationId) ?? properties.CorrelationId,
            Tenant = Header(HubHeaders.Tenant),
            CausationId = Header(HubHeaders.CausationId),
            SendingEndpoint = Header(HubHeaders.SendingEndpoint),
            Redelivered = redelivered,
            Headers = headers,
            Properties = DescribeProperties(properties),
            BodyLength = body.Length,
            BodyText = bodyText,
            BodyBase64 = bodyBase64,
        };
    }

    private static int? ParseInt(string? value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;

    private static bool TryDecodeUtf8(ReadOnlySpan<byte> bytes, out string text)
    {
        try
        {
            text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
            // Control characters other than whitespace suggest binary content.
            foreach (var c in text)
            {
                if (char.IsControl(c) && c is not ('\r' or '\n' or '\t'))
                {
                    text = string.Empty;
                    return false;
                }
            }
            return true;
        }
        catch (DecoderFallbackException)
        {
            text = string.Empty;
            return false;
        }
    }

    private static SortedDictionary<string, string> DescribeProperties(IReadOnlyBasicProperties p)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (p.IsMessageIdPresent()) result["message-id"] = p.MessageId ?? "";
        if (p.IsTypePresent()) result["type"] = p.Type ?? "";
        if (p.IsCorrelationIdPresent()) result["correlation-id"] = p.CorrelationId ?? "";
        if (p.IsContentTypePresent()) result["content-type"] = p.ContentType ?? "";
        if (p.IsContentEncodingPresent()) result["content-encoding"] = p.ContentEncoding ?? "";
        if (p.IsDeliveryModePresent()) result["delivery-mode"] = p.DeliveryMode.ToString();
        if (p.IsPriorityPresent()) result["priority"] = p.Priority.ToString(CultureInfo.InvariantCulture);
        if (p.IsReplyToPresent()) result["reply-to"] = p.ReplyTo ?? "";
        if (p.IsExpirationPresent()) result["expiration"] = p.Expiration ?? "";
        if (p.IsTimestampPresent())
        {
            result["timestamp"] = DateTimeOffset.FromUnixTimeSeconds(p.Timestamp.UnixTime).ToString("O", CultureInfo.InvariantCulture);
        }
        if (p.IsUserIdPresent()) result["user-id"] = p.UserId ?? "";
        if (p.IsAppIdPresent()) result["app-id"] = p.AppId ?? "";
        return result;
    }
}

/// <summary>Renders AMQP field-table values (long strings arrive as byte[]) as text.</summary>
internal static class HeaderValue
{
    public static string ToText(object? value) => value switch
    {
        null => string.Empty,
        byte[] bytes => Encoding.UTF8.GetString(bytes),
        string s => s,
        AmqpTimestamp ts => DateTimeOffset.FromUnixTimeSeconds(ts.UnixTime).ToString("O", CultureInfo.InvariantCulture),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        IDictionary<string, object?> table => "{" + string.Join(", ", table.Select(kv => $"{kv.Key}={ToText(kv.Value)}")) + "}",
        System.Collections.IEnumerable list => "[" + string.Join(", ", list.Cast<object?>().Select(ToText)) + "]",
        _ => value.ToString() ?? string.Empty,
    };
}
