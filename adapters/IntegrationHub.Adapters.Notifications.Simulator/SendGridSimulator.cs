using System.Collections.Concurrent;
using System.Security.Cryptography;
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

/// <summary>An e-mail the simulated SendGrid took.</summary>
public sealed record SimulatedEmail(string MessageId, string To, string Subject, string Body, string? Reference, DateTimeOffset At);

/// <summary>
/// SendGrid's v3 mail send on a WireMock server on loopback (formats.md §4): <c>POST /v3/mail/send</c> with a Bearer key
/// answers 202 and <c>X-Message-Id</c>; then, after the delay, it posts a signed Event Webhook batch (<c>processed</c>,
/// then <c>delivered</c> or <c>bounce</c>) to the webhook URL — ECDSA P-256 over timestamp + body with a key of its own,
/// whose public half is what the hub is configured with.
/// </summary>
public sealed class SendGridSimulator : IDisposable
{
    public const string ApiKey = "SG.simulated-not-a-real-key";
    readonly WireMockServer _server;
    readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    readonly ConcurrentDictionary<string, SimulatedEmail> _emails = new();
    Func<HttpClient> _client = () => new HttpClient();
    int _sequence;

    SendGridSimulator(WireMockServer server)
    {
        _server = server;
        _server.Given(Request.Create().WithPath("/v3/mail/send").UsingPost()).RespondWith(Response.Create().WithCallback(Send));
    }

    public static SendGridSimulator Start() => new(WireMockServer.Start(new WireMockServerSettings { Urls = ["http://127.0.0.1:0"] }));

    public ProviderBehaviour Behaviour { get; } = new();

    public Uri ApiBase => new(_server.Url!);

    public string PublicKey => Convert.ToBase64String(_key.ExportSubjectPublicKeyInfo());

    public Uri? WebhookUrl { get; private set; }

    public IReadOnlyCollection<SimulatedEmail> Emails => [.. _emails.Values];

    public SendGridSimulator SendingEventsTo(Uri url, Func<HttpClient>? client = null)
    {
        WebhookUrl = url;
        if (client is not null) _client = client;
        return this;
    }

    public SendGridOptions Options(string account) => new()
    {
        Account = account, ApiKey = ApiKey, FromEmail = "no-reply@hub.example", FromName = "IntegrationHub", WebhookPublicKey = PublicKey, ApiBase = ApiBase,
    };

    /// <summary>An event batch for <paramref name="messageId"/> as SendGrid would sign it now (or at <paramref name="at"/>).</summary>
    public (byte[] Body, string Signature, string Timestamp) Batch(string messageId, IEnumerable<string> events, DateTimeOffset? at = null)
    {
        var email = _emails.GetValueOrDefault(messageId);
        var when = (at ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds();
        var items = new JsonArray([.. events.Select(e => (JsonNode)new JsonObject
        {
            ["email"] = email?.To ?? "someone@example.com", ["timestamp"] = when, ["event"] = e, ["sg_event_id"] = $"ev_{messageId}_{e}",
            ["sg_message_id"] = messageId + ".filterdrecv-5645d9c87f-abcde.1.0", ["smtp-id"] = $"<{messageId}@sim>", ["hub_ref"] = email?.Reference,
            ["status"] = e == "bounce" ? "5.1.1" : null, ["type"] = e == "bounce" ? "bounce" : null,
        })]);
        var body = Encoding.UTF8.GetBytes(items.ToJsonString());
        var timestamp = when.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var signature = Convert.ToBase64String(_key.SignData([.. Encoding.ASCII.GetBytes(timestamp), .. body], HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        return (body, signature, timestamp);
    }

    IResponseMessage Send(IRequestMessage request)
    {
        if (request.Headers?.TryGetValue("Authorization", out var auth) != true || auth!.FirstOrDefault() != "Bearer " + ApiKey)
            return Answer(401, """{"errors":[{"message":"The provided authorization grant is invalid, expired, or revoked"}]}""");
        if (Behaviour.TakeRefusal())
            return Answer(503, """{"errors":[{"message":"Service Unavailable"}]}""");
        JsonNode? body;
        try { body = JsonNode.Parse(request.Body ?? ""); }
        catch (System.Text.Json.JsonException) { body = null; }
        var personalization = body?["personalizations"]?[0];
        if (personalization?["to"]?[0]?["email"]?.GetValue<string>() is not { Length: > 0 } to || body?["from"]?["email"] is null)
            return Answer(400, """{"errors":[{"message":"The to array is required for all personalization objects","field":"personalizations.0.to"}]}""");
        var id = "sim" + Interlocked.Increment(ref _sequence).ToString("D19", System.Globalization.CultureInfo.InvariantCulture);
        var email = new SimulatedEmail(id, to, body["subject"]?.GetValue<string>() ?? "", body["content"]?[0]?["value"]?.GetValue<string>() ?? "",
            personalization["custom_args"]?["hub_ref"]?.GetValue<string>(), DateTimeOffset.UtcNow);
        _emails[id] = email;
        if (WebhookUrl is not null && Behaviour.Receipts != ReceiptMode.None)
            _ = Task.Run(() => SendEvents(email));
        var answer = Answer(202, "", id);
        if (Behaviour.TakeHang()) Thread.Sleep(Behaviour.HangFor);
        return answer;
    }

    async Task SendEvents(SimulatedEmail email)
    {
        await Task.Delay(Behaviour.ReceiptDelay);
        var events = new List<string> { "processed", Behaviour.Undeliverable.Contains(email.To) ? "bounce" : "delivered" };
        if (Behaviour.Receipts == ReceiptMode.OutOfOrder) events.Reverse();
        var batches = Behaviour.Receipts == ReceiptMode.Twice ? [events, events] : events.Select(e => new List<string> { e }).ToList();
        foreach (var batch in batches)
        {
            var (body, signature, timestamp) = Batch(email.MessageId, batch);
            try
            {
                using var client = _client();
                using var request = new HttpRequestMessage(HttpMethod.Post, WebhookUrl) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new("application/json");
                request.Headers.TryAddWithoutValidation(SendGridSignature.SignatureHeader, signature);
                request.Headers.TryAddWithoutValidation(SendGridSignature.TimestampHeader, timestamp);
                using var _ = await client.SendAsync(request);
            }
            catch (HttpRequestException) { }
        }
    }

    static ResponseMessage Answer(int status, string body, string? messageId = null)
    {
        var headers = new Dictionary<string, WireMockList<string>> { ["Content-Type"] = new("application/json") };
        if (messageId is not null) headers["X-Message-Id"] = new(messageId);
        return new ResponseMessage { StatusCode = status, Headers = headers, BodyData = new BodyData { BodyAsString = body, DetectedBodyType = BodyType.String } };
    }

    public void Dispose()
    {
        _server.Stop();
        _server.Dispose();
        _key.Dispose();
    }
}
