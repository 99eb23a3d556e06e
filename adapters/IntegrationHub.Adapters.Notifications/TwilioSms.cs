using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace IntegrationHub.Adapters.Notifications;

public sealed class TwilioOptions
{
    public required string Account { get; init; }
    public required string AccountSid { get; init; }
    public required string AuthToken { get; init; }

    /// <summary>The sender: a number (<c>From</c>) or a Messaging Service (<c>MessagingServiceSid</c>, starts with MG).</summary>
    public required string From { get; init; }

    public Uri ApiBase { get; init; } = new("https://api.twilio.com");

    /// <summary>Where Twilio posts status callbacks: the hub's route for this account.</summary>
    public Uri? StatusCallback { get; init; }
}

/// <summary>
/// SMS through Twilio's REST API (formats.md §4): <c>POST /2010-04-01/Accounts/{sid}/Messages.json</c>, Basic auth,
/// form-encoded, the hub's reference in the status callback's query so receipts find their message; status callbacks
/// verified with <see cref="TwilioSignature"/>. Twilio has no idempotency key: a send that timed out may have been taken.
/// </summary>
public sealed class TwilioSms(TwilioOptions options, HttpClient http) : INotificationProvider
{
    public const string Name = "twilio";

    public string Provider => Name;

    public string Account => options.Account;

    public Channel Channel => Channel.Sms;

    public bool SendsReceipts => true;

    public async Task<ProviderAccepted> Send(OutboundMessage message, CancellationToken cancellationToken = default)
    {
        var form = new List<KeyValuePair<string, string>>
        {
            new("To", message.To), new("Body", message.Body),
            options.From.StartsWith("MG", StringComparison.Ordinal) ? new("MessagingServiceSid", options.From) : new("From", options.From),
        };
        if (options.StatusCallback is { } callback)
            form.Add(new("StatusCallback", callback + (callback.Query.Length > 0 ? "&" : "?") + "ref=" + Uri.EscapeDataString(message.Reference)));
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(options.ApiBase, $"/2010-04-01/Accounts/{Uri.EscapeDataString(options.AccountSid)}/Messages.json"))
        {
            Content = new FormUrlEncodedContent(form),
        };
        request.Headers.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.AccountSid}:{options.AuthToken}")));
        var (status, body, _) = await ProviderHttp.Send(http, request, Name, cancellationToken);
        if (status is HttpStatusCode.Created or HttpStatusCode.OK && ProviderHttp.Json(body) is { } json && json.TryGetProperty("sid", out var sid) && sid.GetString() is { } id)
            return new ProviderAccepted(id, StateOf(json.TryGetProperty("status", out var s) ? s.GetString() : null) ?? DeliveryState.Queued);
        throw ProviderHttp.Refused(Name, status, ProviderHttp.Json(body) is { } error && error.TryGetProperty("code", out var code) ? code.ToString() : null);
    }

    public ReceiptVerification Verify(ProviderCallback callback)
    {
        var form = ProviderHttp.Form(callback.Body);
        if (form is null) return new ReceiptVerification.Refused(400, "not a form post");
        if (TwilioSignature.Problem(callback.Headers.GetValueOrDefault(TwilioSignature.Header), callback.Url, form, [options.AuthToken]) is { } problem)
            return new ReceiptVerification.Refused(401, problem);
        var fields = form.GroupBy(f => f.Key).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal);
        if (fields.GetValueOrDefault("MessageSid") is not { Length: > 0 } sid || (fields.GetValueOrDefault("MessageStatus") ?? fields.GetValueOrDefault("SmsStatus")) is not { } status)
            return new ReceiptVerification.Refused(400, "no MessageSid or MessageStatus");
        if (fields.GetValueOrDefault("AccountSid") is { Length: > 0 } account && account != options.AccountSid)
            return new ReceiptVerification.Refused(401, "another account's callback");
        var state = StateOf(status);
        if (state is null) return new ReceiptVerification.Verified([]); // receiving, read …: nothing the hub tracks
        var code = fields.GetValueOrDefault("ErrorCode") is { Length: > 0 } error ? $"{status} {error}" : status;
        var reference = System.Web.HttpUtility.ParseQueryString(callback.Url.Query)["ref"];
        // Twilio has no event id: the message, its status and error make one, so a repeated callback is the same event.
        var eventId = "tw_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{sid}\n{status}\n{fields.GetValueOrDefault("ErrorCode")}")))[..32];
        return new ReceiptVerification.Verified([new DeliveryReceipt(sid, state.Value, code, eventId, null, reference)]);
    }

    static DeliveryState? StateOf(string? status) => status switch
    {
        "accepted" or "queued" or "scheduled" => DeliveryState.Queued,
        "sending" or "sent" => DeliveryState.Sent,
        "delivered" or "read" => DeliveryState.Delivered,
        "undelivered" or "partially_delivered" => DeliveryState.Undelivered,
        "failed" or "canceled" => DeliveryState.Failed,
        _ => null,
    };
}

/// <summary>What the providers' HTTP adapters share: one call with failures in the hub's kinds, and reading answers.</summary>
internal static class ProviderHttp
{
    const int MaxAnswerBytes = 256 * 1024;

    /// <summary>The answer: its status, body (empty when too large) and response headers.</summary>
    public static async Task<(HttpStatusCode Status, byte[] Body, IReadOnlyDictionary<string, string> Headers)> Send(HttpClient http, HttpRequestMessage request,
        string provider, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e) when (e.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError)
        {
            // Never connected: the provider surely did not take it.
            throw new ExternalSystemException(provider, ExternalFailure.Unavailable, $"could not connect ({e.HttpRequestError})", e);
        }
        catch (HttpRequestException e)
        {
            throw new ExternalSystemException(provider, ExternalFailure.TimedOut, $"the connection broke after the request was sent ({e.HttpRequestError})", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ExternalSystemException(provider, ExternalFailure.TimedOut, "no answer in time: the message may or may not have been taken", e);
        }
        using (response)
        {
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            var headers = response.Headers.ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);
            return (response.StatusCode, body.Length > MaxAnswerBytes ? [] : body, headers);
        }
    }

    public static ExternalSystemException Refused(string provider, HttpStatusCode status, string? code) => (int)status switch
    {
        401 or 403 => new ExternalSystemException(provider, ExternalFailure.Unauthorized, $"refused the credentials ({(int)status})"),
        429 or >= 500 => new ExternalSystemException(provider, ExternalFailure.Unavailable, $"answered {(int)status}: not taken, try another provider or later"),
        _ => new ExternalSystemException(provider, ExternalFailure.Invalid, $"refused the message ({(int)status} {code})".TrimEnd()),
    };

    public static JsonElement? Json(byte[] body)
    {
        try
        {
            using var json = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 32 });
            return json.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static List<KeyValuePair<string, string>>? Form(byte[] body)
    {
        string text;
        try { text = new UTF8Encoding(false, true).GetString(body); }
        catch (DecoderFallbackException) { return null; }
        var fields = new List<KeyValuePair<string, string>>();
        foreach (var pair in text.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            if (fields.Count >= 200) return null;
            var equals = pair.IndexOf('=');
            var name = Uri.UnescapeDataString((equals < 0 ? pair : pair[..equals]).Replace('+', ' '));
            var value = equals < 0 ? "" : Uri.UnescapeDataString(pair[(equals + 1)..].Replace('+', ' '));
            if (name.Contains('\0') || value.Contains('\0')) return null;
            fields.Add(new(name, value));
        }
        return fields;
    }
}
