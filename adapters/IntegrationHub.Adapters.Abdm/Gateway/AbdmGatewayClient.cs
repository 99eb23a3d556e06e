using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace IntegrationHub.Adapters.Abdm.Gateway;

/// <summary>
/// The gateway over HTTP (Gateway/README.md): the deployment's generation of paths, headers and bodies, the session token
/// shared by every call, one new token and one more try on a 401, transient trouble thrown, refusals returned with
/// ABDM's error read from either shape. Logs each call's name, request id and status, never bodies, tokens or secrets.
/// </summary>
public sealed class AbdmGatewayClient : IAbdmGateway
{
    const int MaxMessage = 500;
    readonly AbdmGatewayOptions _options;
    readonly HttpClient _http;
    readonly TimeProvider _time;
    readonly ILogger _logger;
    readonly AbdmSessionTokens _tokens;

    public AbdmGatewayClient(AbdmGatewayOptions options, HttpClient http, TimeProvider time, ILogger<AbdmGatewayClient>? logger = null)
    {
        _options = options;
        _http = http;
        _time = time;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _tokens = new AbdmSessionTokens(options, http, time, _logger);
    }

    public AbdmApiVersion ApiVersion => _options.ApiVersion;

    public Task<AbdmGatewayAnswer> Send(AbdmGatewayCall call, CancellationToken cancellationToken = default) =>
        Exchange(call.Call, HttpMethod.Post, call.RequestId, call.Timestamp,
            AbdmBodies.ForVersion(call.Body, _options.ApiVersion, call.RequestId, call.Timestamp), call.HipId, call.LinkToken, cancellationToken);

    public Task<AbdmGatewayAnswer> RegisterBridgeUrl(Uri bridgeUrl, CancellationToken cancellationToken = default)
    {
        if (!bridgeUrl.IsAbsoluteUri || bridgeUrl.Query.Length > 0 || bridgeUrl.Fragment.Length > 0)
            throw new ArgumentException("The bridge URL is an absolute base URL without query or fragment", nameof(bridgeUrl));
        var body = new JsonObject { ["url"] = bridgeUrl.AbsoluteUri.TrimEnd('/') }.ToJsonString();
        return Exchange(AbdmOutbound.BridgeUrl, HttpMethod.Patch, Guid.NewGuid().ToString(), _time.GetUtcNow(), body, null, null, cancellationToken);
    }

    async Task<AbdmGatewayAnswer> Exchange(AbdmOutbound call, HttpMethod method, string requestId, DateTimeOffset timestamp, string json,
        string? hipId, string? linkToken, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var token = await _tokens.Get(cancellationToken);
            using var request = AbdmHttp.Request(method, _options.UrlOf(call), json);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            AbdmHttp.AddGatewayHeaders(request, _options, requestId, timestamp);
            if (hipId is not null) request.Headers.TryAddWithoutValidation("X-HIP-ID", hipId);
            if (linkToken is not null) request.Headers.TryAddWithoutValidation("X-LINK-TOKEN", linkToken);

            var reply = await AbdmHttp.Exchange(_http, request, call, _options, _time, cancellationToken);
            _logger.LogInformation("ABDM {Call} {RequestId} answered {Status}", call, requestId, reply.Status);
            if (reply.IsSuccess)
                return new AbdmGatewayAnswer.Accepted(reply.Status);
            if (reply.Status == 401 && attempt == 1)
            {
                _tokens.Reject(token); // expired or revoked early: one new token, one more try
                continue;
            }
            if (reply.Status is 408 or 429 || reply.Status >= 500)
                throw new AbdmGatewayUnavailableException($"The ABDM gateway answered {reply.Status} to {call}");
            var (code, message) = Error(reply.Body);
            return new AbdmGatewayAnswer.Refused(reply.Status, code, message ?? $"The gateway answered {reply.Status}");
        }
    }

    /// <summary>ABDM's error from either shape: <c>{"error":{"code","message"}}</c> (v0.5, some v3) or <c>{"code","message"}</c> (v3).</summary>
    static (string? Code, string? Message) Error(byte[]? body)
    {
        if (body is null || body.Length == 0) return (null, null);
        try
        {
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return (null, null);
            var error = root.TryGetProperty("error", out var nested) && nested.ValueKind == JsonValueKind.Object ? nested : root;
            return (Scalar(error, "code"), Scalar(error, "message") is { } message ? message[..Math.Min(message.Length, MaxMessage)] : null);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    static string? Scalar(JsonElement element, string name) =>
        !element.TryGetProperty(name, out var value) ? null
        : value.ValueKind == JsonValueKind.String ? value.GetString()
        : value.ValueKind == JsonValueKind.Number ? value.GetRawText()
        : null;
}
