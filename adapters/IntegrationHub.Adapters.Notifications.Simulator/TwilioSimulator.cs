using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;
using WireMock.Types;
using WireMock.Util;

namespace IntegrationHub.Adapters.Notifications.Simulator;

/// <summary>A message the simulated Twilio took.</summary>
public sealed record SimulatedSms(string Sid, string To, string Body, string? StatusCallback, DateTimeOffset At);

/// <summary>
/// Twilio's Messages API on a WireMock server on loopback (formats.md §4): <c>POST /2010-04-01/Accounts/{sid}/Messages.json</c>
/// with Basic auth answers 201 <c>{sid, status: "queued"}</c>; then, after <see cref="ProviderBehaviour.ReceiptDelay"/>,
/// it posts signed status callbacks (<c>sent</c>, then <c>delivered</c> or <c>undelivered</c> with an error code) to the
/// message's <c>StatusCallback</c>, in order, twice, out of order or not at all.
/// </summary>
public sealed class TwilioSimulator : IDisposable
{
    public const string AccountSid = "ACsimulated00000000000000000000000";
    public const string AuthToken = "simulated-twilio-auth-token";
    public const string From = "+15005550006";
    readonly WireMockServer _server;
    readonly ConcurrentDictionary<string, SimulatedSms> _messages = new();
    Func<HttpClient> _client = () => new HttpClient();
    int _sequence;

    TwilioSimulator(WireMockServer server)
    {
        _server = server;
        _server.Given(Request.Create().WithPath($"/2010-04-01/Accounts/{AccountSid}/Messages.json").UsingPost())
            .RespondWith(Response.Create().WithCallback(Create));
    }

    public static TwilioSimulator Start() => new(WireMockServer.Start(new WireMockServerSettings { Urls = ["http://127.0.0.1:0"] }));

    public ProviderBehaviour Behaviour { get; } = new();

    public Uri ApiBase => new(_server.Url!);

    public IReadOnlyCollection<SimulatedSms> Messages => [.. _messages.Values];

    public TwilioSimulator CallingBackWith(Func<HttpClient> client)
    {
        _client = client;
        return this;
    }

    public TwilioOptions Options(string account, Uri? statusCallback) => new()
    {
        Account = account, AccountSid = AccountSid, AuthToken = AuthToken, From = From, ApiBase = ApiBase, StatusCallback = statusCallback,
    };

    /// <summary>A status callback as Twilio would post it for <paramref name="sid"/>: the form and its signature over <paramref name="url"/>.</summary>
    public (List<KeyValuePair<string, string>> Form, string Signature) Callback(Uri url, string sid, string status, string? errorCode = null, string token = AuthToken)
    {
        var message = _messages.GetValueOrDefault(sid);
        var form = new List<KeyValuePair<string, string>>
        {
            new("AccountSid", AccountSid), new("ApiVersion", "2010-04-01"), new("From", From), new("MessageSid", sid), new("MessageStatus", status),
            new("SmsSid", sid), new("SmsStatus", status), new("To", message?.To ?? "+10000000000"),
        };
        if (errorCode is not null) form.Add(new("ErrorCode", errorCode));
        return (form, TwilioSignature.Compute(token, url.ToString(), form));
    }

    IResponseMessage Create(IRequestMessage request)
    {
        var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{AccountSid}:{AuthToken}"));
        if (request.Headers?.TryGetValue("Authorization", out var auth) != true || auth!.FirstOrDefault() != expected)
            return Json(401, new JsonObject { ["code"] = 20003, ["message"] = "Authenticate", ["status"] = 401 });
        if (Behaviour.TakeRefusal())
            return Json(503, new JsonObject { ["code"] = 20500, ["message"] = "Service unavailable", ["status"] = 503 });
        var form = (request.Body ?? "").Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2))
            .ToDictionary(p => Uri.UnescapeDataString(p[0].Replace('+', ' ')), p => p.Length > 1 ? Uri.UnescapeDataString(p[1].Replace('+', ' ')) : "");
        if (form.GetValueOrDefault("To") is not { Length: > 0 } to || !to.StartsWith('+'))
            return Json(400, new JsonObject { ["code"] = 21211, ["message"] = "The 'To' number is not a valid phone number.", ["status"] = 400 });
        var sid = "SM" + Interlocked.Increment(ref _sequence).ToString("D32", System.Globalization.CultureInfo.InvariantCulture);
        var message = new SimulatedSms(sid, to, form.GetValueOrDefault("Body") ?? "", form.GetValueOrDefault("StatusCallback"), DateTimeOffset.UtcNow);
        _messages[sid] = message;
        if (message.StatusCallback is not null && Behaviour.Receipts != ReceiptMode.None)
            _ = Task.Run(() => SendReceipts(message));
        var answer = Json(201, new JsonObject
        {
            ["sid"] = sid, ["status"] = "queued", ["to"] = to, ["num_segments"] = "1", ["account_sid"] = AccountSid, ["error_code"] = null,
        });
        if (Behaviour.TakeHang())
            Thread.Sleep(Behaviour.HangFor); // taken, but the answer never comes in time
        return answer;
    }

    async Task SendReceipts(SimulatedSms message)
    {
        await Task.Delay(Behaviour.ReceiptDelay);
        var final = Behaviour.Undeliverable.Contains(message.To) ? ("undelivered", "30003") : ("delivered", (string?)null);
        var statuses = new List<(string Status, string? Error)> { ("sent", null), final };
        if (Behaviour.Receipts == ReceiptMode.OutOfOrder) statuses.Reverse();
        if (Behaviour.Receipts == ReceiptMode.Twice) statuses = [.. statuses.SelectMany(s => new[] { s, s })];
        var url = new Uri(message.StatusCallback!);
        foreach (var (status, error) in statuses)
        {
            var (form, signature) = Callback(url, message.Sid, status, error);
            try
            {
                using var client = _client();
                using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(form) };
                request.Headers.TryAddWithoutValidation(TwilioSignature.Header, signature);
                using var _ = await client.SendAsync(request);
            }
            catch (HttpRequestException) { } // the hub is away: Twilio does not retry status callbacks
        }
    }

    static ResponseMessage Json(int status, JsonObject body) => new()
    {
        StatusCode = status,
        Headers = new Dictionary<string, WireMockList<string>> { ["Content-Type"] = new("application/json") },
        BodyData = new BodyData { BodyAsString = body.ToJsonString(), DetectedBodyType = BodyType.String },
    };

    public void Dispose()
    {
        _server.Stop();
        _server.Dispose();
    }
}
