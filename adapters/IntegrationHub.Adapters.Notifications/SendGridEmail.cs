using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace IntegrationHub.Adapters.Notifications;

public sealed class SendGridOptions
{
    public required string Account { get; init; }
    public required string ApiKey { get; init; }
    public required string FromEmail { get; init; }
    public string? FromName { get; init; }

    /// <summary>The Event Webhook's verification key (base64 DER P-256), from the account's Mail Settings.</summary>
    public required string WebhookPublicKey { get; init; }

    public Uri ApiBase { get; init; } = new("https://api.sendgrid.com");

    /// <summary>How far a signed event batch's timestamp may be from now (SendGrid retries for up to 72 hours: the default allows it).</summary>
    public TimeSpan SignatureTolerance { get; init; } = TimeSpan.FromHours(73);
}

/// <summary>
/// E-mail through SendGrid's v3 API (formats.md §4): <c>POST /v3/mail/send</c> answers 202 with <c>X-Message-Id</c>; the
/// hub's reference travels as <c>custom_args.hub_ref</c>, so the signed Event Webhook's events (a JSON array, verified
/// with <see cref="SendGridSignature"/>) find their message. <c>sg_message_id</c> is the X-Message-Id plus a suffix.
/// </summary>
public sealed class SendGridEmail(SendGridOptions options, HttpClient http) : INotificationProvider, IDisposable
{
    public const string Name = "sendgrid";
    public const string ReferenceArg = "hub_ref";
    const int MaxEvents = 1000;
    readonly SendGridSignature _signature = new(options.WebhookPublicKey);

    public string Provider => Name;

    public string Account => options.Account;

    public Channel Channel => Channel.Email;

    public bool SendsReceipts => true;

    public async Task<ProviderAccepted> Send(OutboundMessage message, CancellationToken cancellationToken = default)
    {
        var from = new JsonObject { ["email"] = options.FromEmail };
        if (options.FromName is { } name) from["name"] = name;
        var body = new JsonObject
        {
            ["personalizations"] = new JsonArray(new JsonObject
            {
                ["to"] = new JsonArray(new JsonObject { ["email"] = message.To }),
                ["custom_args"] = new JsonObject { [ReferenceArg] = message.Reference },
            }),
            ["from"] = from,
            ["subject"] = message.Subject ?? "",
            ["content"] = new JsonArray(new JsonObject { ["type"] = "text/plain", ["value"] = message.Body }),
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(options.ApiBase, "/v3/mail/send"))
        {
            Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", options.ApiKey);
        var (status, _, headers) = await ProviderHttp.Send(http, request, Name, cancellationToken);
        if (status == HttpStatusCode.Accepted && headers.GetValueOrDefault("X-Message-Id") is { Length: > 0 } id)
            return new ProviderAccepted(id, DeliveryState.Queued);
        throw ProviderHttp.Refused(Name, status, null);
    }

    public ReceiptVerification Verify(ProviderCallback callback)
    {
        if (_signature.Problem(callback.Headers.GetValueOrDefault(SendGridSignature.SignatureHeader), callback.Headers.GetValueOrDefault(SendGridSignature.TimestampHeader),
                callback.Body, callback.ReceivedAt, options.SignatureTolerance) is { } problem)
            return new ReceiptVerification.Refused(401, problem);
        if (ProviderHttp.Json(callback.Body) is not { ValueKind: JsonValueKind.Array } events || events.GetArrayLength() > MaxEvents)
            return new ReceiptVerification.Refused(400, $"not a JSON array of at most {MaxEvents} events");
        var receipts = new List<DeliveryReceipt>();
        foreach (var item in events.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object) continue;
            if (Text(item, "sg_message_id") is not { Length: > 0 } sgId || Text(item, "event") is not { } type || StateOf(type) is not { } state) continue;
            var messageId = sgId.Split('.')[0]; // "<X-Message-Id>.filter…": the part the send answered
            var eventId = Text(item, "sg_event_id") ?? $"sg_{messageId}_{type}";
            DateTimeOffset? at = item.TryGetProperty("timestamp", out var ts) && ts.ValueKind == JsonValueKind.Number && ts.TryGetInt64(out var unix)
                && unix is > 0 and < 32503680000 ? DateTimeOffset.FromUnixTimeSeconds(unix) : null;
            var code = Text(item, "status") is { Length: > 0 } status ? $"{type} {status}" : type;
            receipts.Add(new DeliveryReceipt(messageId, state, code, eventId, at, Text(item, ReferenceArg)));
        }
        return new ReceiptVerification.Verified(receipts);
    }

    static string? Text(JsonElement item, string name) =>
        item.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    static DeliveryState? StateOf(string type) => type switch
    {
        "processed" => DeliveryState.Queued,
        "deferred" => DeliveryState.Sent,
        "delivered" => DeliveryState.Delivered,
        "bounce" or "blocked" => DeliveryState.Bounced,
        "dropped" => DeliveryState.Failed,
        _ => null, // open, click, spamreport, unsubscribe …: engagement, not delivery
    };

    public void Dispose() => _signature.Dispose();
}
