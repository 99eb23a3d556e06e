using System.Text.Json.Nodes;

namespace IntegrationHub.Adapters.Abdm.Gateway;

/// <summary>
/// One call to the gateway. <paramref name="Body"/> is written in the v3 shape (no <c>requestId</c> / <c>timestamp</c>,
/// <c>response</c> for the request answered); the client turns it into the deployment's generation (v0.5: both in the body,
/// <c>resp</c>). <paramref name="RequestId"/> becomes <c>REQUEST-ID</c> (v3) or <c>requestId</c> (v0.5): the key the answer
/// comes back with, so a repeated call carries the same one.
/// </summary>
/// <param name="HipId">Sent as <c>X-HIP-ID</c> (v3 calls that name the HIP: generate-token, link, notify).</param>
/// <param name="LinkToken">Sent as <c>X-LINK-TOKEN</c> (v3 HIP-initiated link).</param>
public sealed record AbdmGatewayCall(AbdmOutbound Call, string RequestId, DateTimeOffset Timestamp, JsonObject Body,
    string? HipId = null, string? LinkToken = null);

/// <summary>How the gateway took a call.</summary>
public abstract record AbdmGatewayAnswer
{
    /// <summary>202 (or another 2xx): the answer, if any, comes later as a callback.</summary>
    public sealed record Accepted(int Status) : AbdmGatewayAnswer;

    /// <summary>A 4xx: the gateway will not take this call as it is; <paramref name="Code"/> is its error code (v0.5 number or v3 <c>ABDM-…</c>).</summary>
    public sealed record Refused(int Status, string? Code, string Message) : AbdmGatewayAnswer;
}

/// <summary>
/// The ABDM gateway as the hub's flows see it. Transient trouble (the gateway unreachable, timing out, answering 5xx or
/// 429, or no session token to be had) is thrown as <see cref="AbdmGatewayUnavailableException"/>, so the caller's
/// message is retried; a 401 with a cached session token gets one new token and one more try.
/// </summary>
public interface IAbdmGateway
{
    AbdmApiVersion ApiVersion { get; }

    Task<AbdmGatewayAnswer> Send(AbdmGatewayCall call, CancellationToken cancellationToken = default);

    /// <summary>Registers the hub's callback base URL with the gateway (PATCH bridge URL: the base only, never a path suffix).</summary>
    Task<AbdmGatewayAnswer> RegisterBridgeUrl(Uri bridgeUrl, CancellationToken cancellationToken = default);
}

/// <summary>The gateway could not be reached or did not answer usefully; worth retrying later. The message never holds body data.</summary>
public sealed class AbdmGatewayUnavailableException(string message, Exception? inner = null) : HttpRequestException(message, inner);
