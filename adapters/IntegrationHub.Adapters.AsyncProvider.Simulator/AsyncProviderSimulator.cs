using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;
using WireMock.Types;
using WireMock.Util;

namespace IntegrationHub.Adapters.AsyncProvider.Simulator;

/// <summary>A request the simulated provider received.</summary>
public sealed record SimulatedProviderRequest(string CorrelationId, string Service, string Payload, Uri CallbackUrl,
    IReadOnlyDictionary<string, string> Headers);

/// <summary>
/// A provider system that answers asynchronously (docs/providers.md), on a WireMock server on loopback: it accepts
/// <c>POST /requests</c> with 202 and answers status queries (<c>GET /requests/{id}</c>), and can be told to refuse, to
/// fail with 503 a number of times, to be slow, to hold its answers, to require OAuth2 tokens it issues itself, and to
/// answer later by calling the hub's callback URL with a valid signature.
/// </summary>
public sealed class AsyncProviderSimulator : IDisposable
{
    const string RequestsPath = "/requests";
    const string TokenPath = "/oauth/token";
    readonly WireMockServer _server;
    readonly Func<HttpClient> _callbackClient;
    readonly ConcurrentQueue<SimulatedProviderRequest> _received = new();
    readonly ConcurrentQueue<string?> _idempotencyKeysOfEveryCall = new();
    readonly ConcurrentDictionary<string, bool> _validTokens = new();
    int _tokensIssued;
    int _failuresLeft;
    int _failureStatus = 503;
    (int Status, string Body)? _refusal;
    TimeSpan _delay;
    bool _requireToken;
    int _tokenLifetimeSeconds = 3600;
    (string Secret, TimeSpan Delay, string Status)? _autoAnswer;
    TaskCompletionSource? _hold;
    int _held;
    int _statusQueries;

    AsyncProviderSimulator(WireMockServer server, Func<HttpClient>? callbackClient)
    {
        _server = server;
        _callbackClient = callbackClient ?? (() => new HttpClient());
        _server.Given(Request.Create().WithPath(RequestsPath).UsingPost())
            .RespondWith(Response.Create().WithCallback(HandleRequest));
        _server.Given(Request.Create().WithPath(new WireMock.Matchers.RegexMatcher("^/requests/[^/]+$")).UsingGet())
            .RespondWith(Response.Create().WithCallback(AnswerStatus));
        _server.Given(Request.Create().WithPath(TokenPath).UsingPost())
            .RespondWith(Response.Create().WithCallback(IssueToken));
    }

    /// <summary>Starts on a free loopback port. <paramref name="callbackClient"/> sends the answers (e.g. to a test server).</summary>
    public static AsyncProviderSimulator Start(Func<HttpClient>? callbackClient = null) =>
        new(WireMockServer.Start(new WireMockServerSettings { Urls = ["http://127.0.0.1:0"] }), callbackClient);

    public Uri BaseUrl => new(_server.Url!);

    public Uri TokenUrl => new(BaseUrl, TokenPath);

    public IReadOnlyList<SimulatedProviderRequest> Received => _received.ToList();

    /// <summary>
    /// The <c>Idempotency-Key</c> header (null where it had none) of every call to <c>/requests</c> in the order they
    /// arrived: every attempt, whatever its answer (failed, refused, unauthorized, malformed) and held ones too.
    /// </summary>
    public IReadOnlyList<string?> IdempotencyKeysOfEveryCall => _idempotencyKeysOfEveryCall.ToList();

    /// <summary>Calls to <c>/requests</c>, including refused and failed ones.</summary>
    public int Calls => _server.LogEntries.Count(e => e.RequestMessage.Path == RequestsPath);

    public int TokensIssued => _tokensIssued;

    /// <summary>Status queries (<c>GET /requests/{id}</c>) received.</summary>
    public int StatusQueries => Volatile.Read(ref _statusQueries);

    /// <summary>Requests received and held, their answer not yet sent (see <see cref="Holding"/>).</summary>
    public int Held => Volatile.Read(ref _held);

    /// <summary>
    /// Keeps every request it accepts from now on without answering (it has received it, and says so to a status query)
    /// until <see cref="Release"/>: a provider that is slow to answer, or one whose answer never reaches the hub.
    /// </summary>
    public AsyncProviderSimulator Holding()
    {
        _hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return this;
    }

    /// <summary>Answers the held requests (and stops holding new ones).</summary>
    public void Release() => Interlocked.Exchange(ref _hold, null)?.TrySetResult();

    /// <summary>Accepts every request again: no refusal, no failures, no delay, nothing held.</summary>
    public AsyncProviderSimulator Accepting()
    {
        _refusal = null;
        Interlocked.Exchange(ref _failuresLeft, 0);
        _delay = TimeSpan.Zero;
        Release();
        return this;
    }

    /// <summary>Answers every request with <paramref name="status"/> (4xx) and a problem+json reason.</summary>
    public AsyncProviderSimulator Refusing(int status = 422, string reason = "unknown service")
    {
        _refusal = (status, JsonSerializer.Serialize(new { title = "Refused", detail = reason }));
        return this;
    }

    /// <summary>The next <paramref name="times"/> requests fail with <paramref name="status"/>; then it accepts again.</summary>
    public AsyncProviderSimulator Failing(int times, int status = 503)
    {
        _failureStatus = status;
        Interlocked.Exchange(ref _failuresLeft, times);
        return this;
    }

    public AsyncProviderSimulator Down() => Failing(int.MaxValue);

    public AsyncProviderSimulator Slow(TimeSpan delay)
    {
        _delay = delay;
        return this;
    }

    /// <summary>Requests must carry <c>Authorization: Bearer</c> with a token from <see cref="TokenUrl"/> (401 otherwise).</summary>
    public AsyncProviderSimulator RequiringOAuth2(int tokenLifetimeSeconds = 3600)
    {
        _requireToken = true;
        _tokenLifetimeSeconds = tokenLifetimeSeconds;
        return this;
    }

    /// <summary>Makes every token issued so far invalid, as a provider does when it rotates keys.</summary>
    public void RevokeTokens() => _validTokens.Clear();

    /// <summary>Answers every accepted request by itself after <paramref name="delay"/> (for the embedded host).</summary>
    public AsyncProviderSimulator AnsweringAutomatically(string callbackSecret, TimeSpan delay, string status = "completed")
    {
        _autoAnswer = (callbackSecret, delay, status);
        return this;
    }

    /// <summary>Calls the hub back for a request it received, signed with <paramref name="callbackSecret"/>.</summary>
    public async Task<HttpResponseMessage> Answer(string correlationId, string callbackSecret, string status = "completed",
        string? resultJson = null, string? error = null, DateTimeOffset? signedAt = null, string? deliveryId = null)
    {
        var request = _received.LastOrDefault(r => r.CorrelationId == correlationId)
            ?? throw new InvalidOperationException($"The simulator received no request {correlationId}");
        var body = CallbackBody(correlationId, status, resultJson, error);
        return await Post(request.CallbackUrl, body, Sign(callbackSecret, body, signedAt ?? DateTimeOffset.UtcNow), deliveryId);
    }

    /// <summary>The provider side of the callback signature (what a partner implements; see docs/providers.md).</summary>
    public static string Sign(string secret, string body, DateTimeOffset at)
    {
        var timestamp = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(timestamp + "." + body));
        return $"t={timestamp},v1={Convert.ToHexStringLower(mac)}";
    }

    public static string CallbackBody(string correlationId, string status, string? resultJson, string? error)
    {
        var result = resultJson is null ? "" : $",\"result\":{resultJson}";
        var errorPart = error is null ? "" : $",\"error\":{JsonSerializer.Serialize(error)}";
        return $"{{\"correlationId\":{JsonSerializer.Serialize(correlationId)},\"status\":{JsonSerializer.Serialize(status)}{result}{errorPart}}}";
    }

    async Task<HttpResponseMessage> Post(Uri url, string body, string signature, string? deliveryId)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        message.Headers.Add("Hub-Signature", signature);
        if (deliveryId is not null) message.Headers.Add("Idempotency-Key", deliveryId);
        var client = _callbackClient();
        return await client.SendAsync(message);
    }

    async Task<IResponseMessage> HandleRequest(IRequestMessage request)
    {
        _idempotencyKeysOfEveryCall.Enqueue(Header(request, AsyncProviderClient.IdempotencyKeyHeader));
        if (_delay > TimeSpan.Zero)
            await Task.Delay(_delay);
        if (_requireToken && !HasValidToken(request))
            return Json(401, """{"title":"Unauthorized"}""");

        if (Interlocked.Decrement(ref _failuresLeft) >= 0)
            return Json(_failureStatus, """{"title":"Service unavailable"}""");
        Interlocked.Exchange(ref _failuresLeft, 0);

        if (_refusal is { } refusal)
            return Json(refusal.Status, refusal.Body);

        SimulatedProviderRequest received;
        try
        {
            using var json = JsonDocument.Parse(request.Body ?? "");
            var root = json.RootElement;
            received = new SimulatedProviderRequest(
                root.GetProperty("correlationId").GetString()!,
                root.GetProperty("service").GetString()!,
                root.GetProperty("payload").GetRawText(),
                new Uri(root.GetProperty("callbackUrl").GetString()!),
                request.Headers?.ToDictionary(h => h.Key, h => string.Join(",", h.Value.ToArray()), StringComparer.OrdinalIgnoreCase)
                    ?? new Dictionary<string, string>());
        }
        catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException or UriFormatException)
        {
            return Json(400, """{"title":"Malformed request"}""");
        }

        _received.Enqueue(received);
        if (_hold is { } hold)
        {
            Interlocked.Increment(ref _held);
            try
            {
                await hold.Task;
            }
            finally
            {
                Interlocked.Decrement(ref _held);
            }
        }
        if (_autoAnswer is { } auto)
            _ = Task.Run(async () =>
            {
                await Task.Delay(auto.Delay);
                await Answer(received.CorrelationId, auto.Secret, auto.Status, """{"answeredBy":"simulator"}""",
                    auto.Status == "failed" ? "simulated failure" : null);
            });
        return Json(202, JsonSerializer.Serialize(new { status = "accepted", correlationId = received.CorrelationId }));
    }

    /// <summary><c>GET /requests/{id}</c>: 200 for a request it received (even one whose answer it still holds), 404 otherwise.</summary>
    IResponseMessage AnswerStatus(IRequestMessage request)
    {
        Interlocked.Increment(ref _statusQueries);
        var id = Uri.UnescapeDataString(request.Path[(RequestsPath.Length + 1)..]);
        return _received.Any(r => r.CorrelationId == id)
            ? Json(200, JsonSerializer.Serialize(new { status = "accepted", correlationId = id }))
            : Json(404, """{"title":"No such request"}""");
    }

    bool HasValidToken(IRequestMessage request)
    {
        var header = Header(request, "Authorization");
        return header is not null && header.StartsWith("Bearer ", StringComparison.Ordinal) && _validTokens.ContainsKey(header[7..]);
    }

    static string? Header(IRequestMessage request, string name) =>
        request.Headers?.FirstOrDefault(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value?.FirstOrDefault();

    IResponseMessage IssueToken(IRequestMessage request)
    {
        var form = request.Body ?? "";
        if (!form.Contains("grant_type=client_credentials", StringComparison.Ordinal))
            return Json(400, """{"error":"unsupported_grant_type"}""");
        var token = "token-" + Interlocked.Increment(ref _tokensIssued).ToString(CultureInfo.InvariantCulture);
        _validTokens[token] = true;
        return Json(200, JsonSerializer.Serialize(new { access_token = token, token_type = "Bearer", expires_in = _tokenLifetimeSeconds }));
    }

    static ResponseMessage Json(int status, string body) => new()
    {
        StatusCode = status,
        Headers = new Dictionary<string, WireMockList<string>> { ["Content-Type"] = new(status >= 400 ? "application/problem+json" : "application/json") },
        BodyData = new BodyData { BodyAsString = body, DetectedBodyType = BodyType.String, Encoding = Encoding.UTF8 },
    };

    public void Dispose()
    {
        Release();
        _server.Stop();
    }
}
