using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.Adapters.Abdm.Gateway;

/// <summary>
/// The gateway session token: fetched once, shared by every caller, replaced <see cref="AbdmGatewayOptions.RefreshBeforeExpiry"/>
/// before it expires (at half its life when that is shorter than twice the margin). One fetch at a time: callers that
/// arrive meanwhile wait for it and take its token, or its failure, rather than each asking again.
/// A failure to get a token is thrown as <see cref="AbdmGatewayUnavailableException"/>, never naming the secret or a token.
/// </summary>
internal sealed class AbdmSessionTokens(AbdmGatewayOptions options, HttpClient http, TimeProvider time, ILogger logger)
{
    // A guess used only when the gateway's answer has no usable expiresIn: a stale token costs one 401 and a new fetch.
    static readonly TimeSpan AssumedLifetime = TimeSpan.FromMinutes(5);

    sealed record Session(string Token, DateTimeOffset RefreshAt);

    readonly SemaphoreSlim _fetching = new(1, 1);
    Session? _session;
    long _fetches;
    AbdmGatewayUnavailableException? _lastFailure;

    public async Task<string> Get(CancellationToken cancellationToken)
    {
        if (Fresh(Volatile.Read(ref _session)) is { } token)
            return token;

        var fetchesBefore = Interlocked.Read(ref _fetches);
        await _fetching.WaitAsync(cancellationToken);
        try
        {
            if (Fresh(_session) is { } fetched)
                return fetched;
            // A fetch failed while this caller waited: share its failure instead of asking a gateway in trouble again.
            if (_fetches != fetchesBefore && _lastFailure is { } failure)
                throw new AbdmGatewayUnavailableException(failure.Message, failure);

            Interlocked.Increment(ref _fetches);
            try
            {
                var session = await Fetch(cancellationToken);
                _lastFailure = null;
                Volatile.Write(ref _session, session);
                return session.Token;
            }
            catch (AbdmGatewayUnavailableException e)
            {
                _lastFailure = e;
                throw;
            }
        }
        finally
        {
            _fetching.Release();
        }
    }

    /// <summary>Forgets <paramref name="token"/>, which the gateway refused with 401, unless a newer one already replaced it.</summary>
    public void Reject(string token)
    {
        var current = Volatile.Read(ref _session);
        if (current is not null && current.Token == token)
            Interlocked.CompareExchange(ref _session, null, current);
    }

    string? Fresh(Session? session) => session is not null && time.GetUtcNow() < session.RefreshAt ? session.Token : null;

    async Task<Session> Fetch(CancellationToken cancellationToken)
    {
        var requestId = Guid.NewGuid().ToString();
        var body = new JsonObject { ["clientId"] = options.ClientId, ["clientSecret"] = options.ClientSecret };
        using var request = AbdmHttp.Request(HttpMethod.Post, options.UrlOf(AbdmOutbound.Sessions), Body(body));
        if (options.ApiVersion == AbdmApiVersion.V3)
            AbdmHttp.AddGatewayHeaders(request, options, requestId, time.GetUtcNow());

        var reply = await AbdmHttp.Exchange(http, request, AbdmOutbound.Sessions, options, time, cancellationToken);
        logger.LogInformation("ABDM {Call} {RequestId} answered {Status}", AbdmOutbound.Sessions, requestId, reply.Status);
        if (!reply.IsSuccess)
            throw new AbdmGatewayUnavailableException($"The ABDM gateway answered {reply.Status} to {AbdmOutbound.Sessions}");

        var (token, lifetime) = Read(reply.Body)
            ?? throw new AbdmGatewayUnavailableException($"The ABDM gateway's answer to {AbdmOutbound.Sessions} ({reply.Status}) has no accessToken");
        var margin = lifetime >= options.RefreshBeforeExpiry * 2 ? options.RefreshBeforeExpiry : lifetime / 2;
        return new Session(token, time.GetUtcNow() + lifetime - margin);
    }

    string Body(JsonObject body)
    {
        if (options.ApiVersion == AbdmApiVersion.V3)
            body["grantType"] = "client_credentials";
        return body.ToJsonString();
    }

    static (string Token, TimeSpan Lifetime)? Read(byte[]? body)
    {
        if (body is null || body.Length == 0)
            return null;
        try
        {
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("accessToken", out var token) || token.ValueKind != JsonValueKind.String
                || string.IsNullOrEmpty(token.GetString()))
                return null;
            var lifetime = root.TryGetProperty("expiresIn", out var expiresIn) && expiresIn.TryGetInt32(out var seconds) && seconds > 0
                ? TimeSpan.FromSeconds(seconds)
                : AssumedLifetime;
            return (token.GetString()!, lifetime);
        }
        catch (JsonException)
        {
            // Not attached to what is thrown: a parser's message may quote the answer, which holds the token.
            return null;
        }
    }
}
