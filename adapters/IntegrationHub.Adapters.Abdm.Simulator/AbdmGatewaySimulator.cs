using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Adapters.Abdm.Gateway;
using IntegrationHub.Adapters.Abdm.Wire;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;
using WireMock.Types;
using WireMock.Util;

namespace IntegrationHub.Adapters.Abdm.Simulator;

/// <summary>A call the hub made to the simulated gateway.</summary>
public sealed record GatewayReceived(AbdmOutbound Call, string Path, IReadOnlyDictionary<string, string> Headers, JsonObject Body, DateTimeOffset At)
{
    /// <summary>The id of the gateway request this call answers (<c>response.requestId</c>, v0.5 <c>resp.requestId</c>).</summary>
    public string? Answers => (Body["response"] ?? Body["resp"])?["requestId"]?.GetValue<string>();

    /// <summary>The call's own id: <c>REQUEST-ID</c> (v3) or <c>requestId</c> in the body (v0.5).</summary>
    public string? RequestId => Headers.TryGetValue("REQUEST-ID", out var id) ? id : Body["requestId"]?.GetValue<string>();

    public string? ErrorCode => Body["error"]?["code"]?.ToString();
}

/// <summary>
/// The ABDM gateway, and the patient behind it, on a WireMock server on loopback (docs/abdm.md): it issues session tokens,
/// publishes a JWKS of its own RSA key, takes bridge-URL registrations, answers every call 202 with an empty body and
/// records it; for HIP-initiated linking it answers by itself a moment later (on-generate-token with a link token, then
/// on_carecontext), as the real gateway calls back. As the patient's app it starts discovery and linking at the hub
/// with JWTs it signs (<see cref="Discover"/>, <see cref="InitLink"/>, <see cref="ConfirmLink"/>) and receives the link OTP
/// (<see cref="DeliverOtp"/>). Both API generations, with the real paths and headers.
/// </summary>
public sealed class AbdmGatewaySimulator : IDisposable
{
    public const string Issuer = "https://simulated-gateway.abdm.local/auth/realms/central-registry";
    public const string Audience = "account";
    public const string ClientId = "hub-simulated-client";
    public const string ClientSecret = "simulated-secret-not-for-production";
    readonly WireMockServer _server;
    readonly RSA _key = RSA.Create(2048);
    readonly string _keyId = "sim-" + Guid.NewGuid().ToString("N")[..8];
    readonly ConcurrentQueue<GatewayReceived> _received = new();
    readonly ConcurrentDictionary<string, TaskCompletionSource<GatewayReceived>> _answers = new();
    readonly ConcurrentDictionary<string, string> _otps = new();
    readonly ConcurrentDictionary<string, string> _linkTokens = new();
    Func<HttpClient> _hubClient = () => new HttpClient();
    int _sessions;
    volatile bool _refuseLinkTokens;
    volatile bool _silent;

    AbdmGatewaySimulator(WireMockServer server, AbdmApiVersion version, TimeSpan answerDelay)
    {
        _server = server;
        Version = version;
        AnswerDelay = answerDelay;
        foreach (var call in Enum.GetValues<AbdmOutbound>())
        {
            string path;
            try { path = AbdmPaths.Outbound(version, call); }
            catch (ArgumentOutOfRangeException) { continue; }
            var request = Request.Create().WithPath(path);
            request = call switch { AbdmOutbound.Certs => request.UsingGet(), AbdmOutbound.BridgeUrl => request.UsingPatch(), _ => request.UsingPost() };
            var captured = call;
            _server.Given(request).RespondWith(Response.Create().WithCallback(r => Handle(captured, r)));
        }
    }

    /// <summary>Starts on a free loopback port; <paramref name="answerDelay"/> is how long it takes before calling the hub back.</summary>
    public static AbdmGatewaySimulator Start(AbdmApiVersion version = AbdmApiVersion.V3, TimeSpan? answerDelay = null) =>
        new(WireMockServer.Start(new WireMockServerSettings { Urls = ["http://127.0.0.1:0"] }), version, answerDelay ?? TimeSpan.FromMilliseconds(200));

    public AbdmApiVersion Version { get; }

    public TimeSpan AnswerDelay { get; }

    /// <summary>The gateway's base URL (configure as <c>Hub:Abdm:Gateway:BaseUrl</c>).</summary>
    public Uri BaseUrl => new(_server.Url!);

    /// <summary>Where it calls the hub: the bridge URL the hub registered, or one set with <see cref="CallingHub"/>.</summary>
    public Uri? HubBase { get; private set; }

    public int SessionsIssued => Volatile.Read(ref _sessions);

    public IReadOnlyList<GatewayReceived> Received => _received.ToList();

    /// <summary>The settings that point a hub at this simulator (HIP <paramref name="hipId"/> of <paramref name="department"/>).</summary>
    public IReadOnlyDictionary<string, string?> HubSettings(string hipId, string department) => new Dictionary<string, string?>
    {
        ["Hub:Abdm:Gateway:BaseUrl"] = BaseUrl.ToString(),
        ["Hub:Abdm:Gateway:ApiVersion"] = Version.ToString(),
        ["Hub:Abdm:Gateway:ClientId"] = ClientId,
        ["Hub:Abdm:Gateway:ClientSecret"] = ClientSecret,
        ["Hub:Abdm:Jwt:Issuers:0"] = Issuer,
        ["Hub:Abdm:Jwt:Audiences:0"] = Audience,
        [$"Hub:Abdm:Hips:{hipId}:Department"] = department,
    };

    /// <summary>Calls the hub at <paramref name="abdmBase"/> (e.g. http://localhost/abdm) through clients from <paramref name="client"/>.</summary>
    public AbdmGatewaySimulator CallingHub(Uri abdmBase, Func<HttpClient>? client = null)
    {
        HubBase = new Uri(abdmBase.ToString().TrimEnd('/') + "/");
        if (client is not null) _hubClient = client;
        return this;
    }

    /// <summary>From now on, generate-token is answered with an ABDM error instead of a link token.</summary>
    public AbdmGatewaySimulator RefusingLinkTokens(bool refuse = true) { _refuseLinkTokens = refuse; return this; }

    /// <summary>From now on, nothing is called back: the gateway takes calls and never answers them.</summary>
    public AbdmGatewaySimulator Silent(bool silent = true) { _silent = silent; return this; }

    // ---- the patient's side ----

    /// <summary>The patient's phone: the hub's OTP sender (simulator mode) delivers here.</summary>
    public void DeliverOtp(string mobile, string otp) => _otps[Digits(mobile)] = otp;

    public string? OtpFor(string mobile) => _otps.TryGetValue(Digits(mobile), out var otp) ? otp : null;

    /// <summary>The patient's app asks the hub's HIP to find them; returns the gateway request id on-discover will answer.</summary>
    public Task<(int Status, string RequestId)> Discover(string hipId, string transactionId, string abhaAddress, string name, string gender, int yearOfBirth,
        string? mobile = null, string? medicalRecordNumber = null, string? token = null)
    {
        var verified = new JsonArray();
        if (mobile is not null) verified.Add(new JsonObject { ["type"] = "MOBILE", ["value"] = mobile });
        verified.Add(new JsonObject { ["type"] = "HEALTH_ID", ["value"] = abhaAddress });
        var unverified = new JsonArray();
        if (medicalRecordNumber is not null) unverified.Add(new JsonObject { ["type"] = "MR", ["value"] = medicalRecordNumber });
        return Call(AbdmInbound.Discover, hipId, new JsonObject
        {
            ["transactionId"] = transactionId,
            ["patient"] = new JsonObject
            {
                ["id"] = abhaAddress,
                ["verifiedIdentifiers"] = verified,
                ["unverifiedIdentifiers"] = unverified,
                ["name"] = name,
                ["gender"] = gender,
                ["yearOfBirth"] = yearOfBirth,
            },
        }, token);
    }

    public Task<(int Status, string RequestId)> InitLink(string hipId, string transactionId, string abhaAddress, string patientReference,
        IEnumerable<string> careContexts, string? token = null, Func<string, string>? hiTypeOf = null)
    {
        JsonObject body;
        if (Version == AbdmApiVersion.V3)
        {
            // v3 groups the chosen care contexts by HI type, one patient item per type (each care context its own type
            // unless hiTypeOf says otherwise).
            var items = careContexts.GroupBy(c => hiTypeOf?.Invoke(c) ?? c).Select(group => (JsonNode)new JsonObject
            {
                ["referenceNumber"] = patientReference,
                ["careContexts"] = new JsonArray([.. group.Select(c => (JsonNode)new JsonObject { ["referenceNumber"] = c })]),
                ["hiType"] = hiTypeOf?.Invoke(group.First()),
            });
            body = new() { ["transactionId"] = transactionId, ["abhaAddress"] = abhaAddress, ["patient"] = new JsonArray([.. items]) };
        }
        else
        {
            var contexts = new JsonArray([.. careContexts.Select(c => (JsonNode)new JsonObject { ["referenceNumber"] = c })]);
            body = new() { ["transactionId"] = transactionId, ["patient"] = new JsonObject { ["id"] = abhaAddress, ["referenceNumber"] = patientReference, ["careContexts"] = contexts } };
        }
        return Call(AbdmInbound.InitLink, hipId, body, token);
    }

    public Task<(int Status, string RequestId)> ConfirmLink(string hipId, string linkRefNumber, string otp, string? token = null) =>
        Call(AbdmInbound.ConfirmLink, hipId, new JsonObject { ["confirmation"] = new JsonObject { ["linkRefNumber"] = linkRefNumber, ["token"] = otp } }, token);

    /// <summary>
    /// Posts <paramref name="body"/> (v3 shape) to the hub as the gateway's <paramref name="call"/>, signed with its key (or
    /// <paramref name="token"/>, e.g. a forged or expired one), with a new request id; returns the hub's status and that id.
    /// </summary>
    public Task<(int Status, string RequestId)> Call(AbdmInbound call, string hipId, JsonObject body, string? token = null, string? requestId = null)
    {
        requestId ??= Guid.NewGuid().ToString();
        var json = Version == AbdmApiVersion.V05 ? AbdmBodies.ForVersion(body, Version, requestId, DateTimeOffset.UtcNow) : body.ToJsonString();
        return CallRaw(call, hipId, json, token, requestId);
    }

    /// <summary>Posts <paramref name="json"/> exactly as given (malformed, hostile), signed and with the headers of <paramref name="call"/>.</summary>
    public async Task<(int Status, string RequestId)> CallRaw(AbdmInbound call, string hipId, string json, string? token = null, string? requestId = null)
    {
        if (HubBase is null) throw new InvalidOperationException("The simulator does not know the hub's ABDM URL yet (bridge URL not registered, CallingHub not called)");
        requestId ??= Guid.NewGuid().ToString();
        var timestamp = DateTimeOffset.UtcNow;
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(HubBase, AbdmPaths.Inbound(Version, call).TrimStart('/')))
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        if (token is not "") // "": no Authorization header at all
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + (token ?? Token()));
        request.Headers.Add("X-HIP-ID", hipId);
        request.Headers.Add("X-CM-ID", "sbx");
        if (Version == AbdmApiVersion.V3)
        {
            request.Headers.Add("REQUEST-ID", requestId);
            request.Headers.Add("TIMESTAMP", AbdmBodies.Timestamp(timestamp));
        }
        using var client = _hubClient();
        using var response = await client.SendAsync(request);
        return ((int)response.StatusCode, requestId);
    }

    /// <summary>The hub's answer to gateway request <paramref name="requestId"/> (its on-… call), once it arrives.</summary>
    public async Task<GatewayReceived> AnswerTo(string requestId, TimeSpan? timeout = null)
    {
        var waiter = _answers.GetOrAdd(requestId, _ => new TaskCompletionSource<GatewayReceived>(TaskCreationOptions.RunContinuationsAsynchronously));
        return await waiter.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(30));
    }

    /// <summary>All the hub's answers to <paramref name="requestId"/> so far (a duplicate answer would show here).</summary>
    public IReadOnlyList<GatewayReceived> AnswersTo(string requestId) => _received.Where(r => r.Answers == requestId).ToList();

    /// <summary>A token as the gateway signs them; <paramref name="signingKey"/> another key, to forge one.</summary>
    public string Token(TimeSpan? lifetime = null, string? issuer = null, string? audience = null, RSA? signingKey = null, DateTimeOffset? now = null)
    {
        var at = now ?? DateTimeOffset.UtcNow;
        var life = lifetime ?? TimeSpan.FromMinutes(10);
        var key = new RsaSecurityKey(signingKey ?? _key) { KeyId = _keyId };
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer ?? Issuer,
            Audience = audience ?? Audience,
            IssuedAt = (at - TimeSpan.FromSeconds(1)).UtcDateTime,
            NotBefore = (at - TimeSpan.FromSeconds(1)).UtcDateTime,
            Expires = (at + life).UtcDateTime,
            Claims = new Dictionary<string, object> { ["clientId"] = "gateway" },
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
        });
    }

    IResponseMessage Handle(AbdmOutbound call, IRequestMessage request)
    {
        switch (call)
        {
            case AbdmOutbound.Certs:
                return Json(200, Jwks());
            case AbdmOutbound.Sessions:
                Interlocked.Increment(ref _sessions);
                return Json(200, new JsonObject
                {
                    ["accessToken"] = "sim-session-" + Guid.NewGuid().ToString("N"),
                    ["expiresIn"] = 1200,
                    ["refreshExpiresIn"] = 1800,
                    ["refreshToken"] = "sim-refresh",
                    ["tokenType"] = "bearer",
                });
        }
        if (!request.Headers!.TryGetValue("Authorization", out var auth) || !auth.ToString()!.StartsWith("Bearer sim-session-", StringComparison.Ordinal))
            return Json(401, new JsonObject { ["error"] = new JsonObject { ["code"] = "ABDM-1017", ["message"] = "Invalid access token" } });
        JsonObject body;
        try { body = JsonNode.Parse(request.Body ?? "{}") as JsonObject ?? []; }
        catch (JsonException) { return Json(400, new JsonObject { ["code"] = "ABDM-1000", ["message"] = "Malformed body" }); }
        if (call == AbdmOutbound.BridgeUrl)
        {
            if (body["url"]?.GetValue<string>() is { } url && Uri.TryCreate(url, UriKind.Absolute, out var bridge))
                HubBase ??= new Uri(bridge.ToString().TrimEnd('/') + "/");
            return new ResponseMessage { StatusCode = 202 };
        }
        var headers = request.Headers.ToDictionary(h => h.Key.ToUpperInvariant(), h => h.Value.ToString()!);
        if (Version == AbdmApiVersion.V3 && (!headers.ContainsKey("REQUEST-ID") || !headers.ContainsKey("TIMESTAMP") || !headers.ContainsKey("X-CM-ID")))
            return Json(400, new JsonObject { ["code"] = "ABDM-1000", ["message"] = "REQUEST-ID, TIMESTAMP and X-CM-ID are required" });
        var received = new GatewayReceived(call, request.Path, headers, body, DateTimeOffset.UtcNow);
        _received.Enqueue(received);
        if (received.Answers is { } answered)
            _answers.GetOrAdd(answered, _ => new TaskCompletionSource<GatewayReceived>(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(received);
        if (!_silent && call is AbdmOutbound.GenerateLinkToken or AbdmOutbound.LinkCareContexts)
            _ = Task.Run(() => AnswerLater(received));
        return new ResponseMessage { StatusCode = 202 };
    }

    async Task AnswerLater(GatewayReceived received)
    {
        await Task.Delay(AnswerDelay);
        var hipId = received.Headers.GetValueOrDefault("X-HIP-ID") ?? "";
        var response = new JsonObject { ["requestId"] = received.RequestId };
        var abha = received.Body["abhaAddress"]?.GetValue<string>();
        if (received.Call == AbdmOutbound.GenerateLinkToken)
        {
            JsonObject answer = _refuseLinkTokens
                ? new() { ["abhaAddress"] = abha, ["error"] = new JsonObject { ["code"] = "ABDM-1204", ["message"] = "Patient details do not match the ABHA address" }, ["response"] = response }
                : new() { ["abhaAddress"] = abha, ["linkToken"] = _linkTokens.GetOrAdd(abha ?? "", _ => "sim-link-" + Guid.NewGuid().ToString("N")), ["response"] = response };
            await Call(AbdmInbound.OnGenerateLinkToken, hipId, answer);
        }
        else
        {
            var valid = abha is not null && _linkTokens.TryGetValue(abha, out var expected) && received.Headers.GetValueOrDefault("X-LINK-TOKEN") == expected;
            JsonObject answer = valid
                ? new() { ["abhaAddress"] = abha, ["status"] = "Successfully Linked care context", ["response"] = response }
                : new() { ["error"] = new JsonObject { ["code"] = "ABDM-1102", ["message"] = "Invalid link token" }, ["response"] = response };
            await Call(AbdmInbound.OnLinkCareContexts, hipId, answer);
        }
    }

    JsonObject Jwks()
    {
        var parameters = _key.ExportParameters(false);
        return new JsonObject
        {
            ["keys"] = new JsonArray(new JsonObject
            {
                ["kty"] = "RSA",
                ["kid"] = _keyId,
                ["use"] = "sig",
                ["alg"] = "RS256",
                ["n"] = Base64UrlEncoder.Encode(parameters.Modulus),
                ["e"] = Base64UrlEncoder.Encode(parameters.Exponent),
            }),
        };
    }

    static ResponseMessage Json(int status, JsonNode body) => new()
    {
        StatusCode = status,
        Headers = new Dictionary<string, WireMockList<string>> { ["Content-Type"] = new("application/json") },
        BodyData = new BodyData { BodyAsString = body.ToJsonString(), DetectedBodyType = BodyType.String },
    };

    static string Digits(string mobile) => new([.. mobile.Where(char.IsAsciiDigit).TakeLast(10)]);

    public void Dispose()
    {
        _server.Stop();
        _server.Dispose();
        _key.Dispose();
    }
}
