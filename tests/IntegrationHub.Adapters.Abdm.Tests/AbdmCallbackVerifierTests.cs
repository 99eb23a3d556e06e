using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using IntegrationHub.Adapters.Abdm.Callbacks;
using IntegrationHub.Adapters.Abdm.Gateway;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace IntegrationHub.Adapters.Abdm.Tests;

/// <summary>
/// The gateway's calls verified against a JWKS that a WireMock server publishes, with tokens signed by generated RSA keys
/// and a hand-driven clock (set years in the past, so a verifier that read the real clock would refuse every token).
/// </summary>
public sealed class AbdmCallbackVerifierTests : IDisposable
{
    const string Issuer = "https://dev.abdm.gov.in/gateway";
    const string Audience = "HUB-CLIENT";
    static readonly string CertsPath = AbdmPaths.Outbound(AbdmApiVersion.V3, AbdmOutbound.Certs);

    readonly WireMockServer _gateway = WireMockServer.Start();
    readonly HttpClient _http = new();
    readonly ManualTime _time = new(new DateTimeOffset(2024, 3, 1, 9, 0, 0, TimeSpan.Zero));
    readonly CapturingLogger<AbdmCallbackVerifier> _log = new();
    // Generating RSA keys is slow: each is made once, for all tests.
    static readonly SigningKey Published = new("gateway-key-1");
    static readonly SigningKey Rotated = new("gateway-key-2");
    static readonly SigningKey Foreign = new("not-the-gateways");

    public AbdmCallbackVerifierTests() => Publish(Published);

    public void Dispose()
    {
        _gateway.Stop();
        _gateway.Dispose();
        _http.Dispose();
    }

    [Fact]
    public async Task Token_signed_by_the_published_key_is_accepted()
    {
        var verification = await Verifier().Verify(Bearer(Token(Published)));

        Assert.True(verification.Valid);
        Assert.Null(verification.Problem);
        Assert.Equal("GATEWAY-CLIENT", verification.Subject);
        Assert.Equal(Issuer, verification.Claims["iss"]);
        Assert.Equal("gateway-subject", verification.Claims["sub"]);
    }

    [Fact]
    public async Task Subject_is_sub_when_there_is_no_clientId()
    {
        var token = Token(Published, d => d.Claims.Remove("clientId"));

        var verification = await Verifier().Verify(Bearer(token));

        Assert.True(verification.Valid);
        Assert.Equal("gateway-subject", verification.Subject);
    }

    [Fact]
    public async Task Bearer_scheme_is_case_insensitive()
    {
        Assert.True((await Verifier().Verify("bearer " + Token(Published))).Valid);
    }

    [Fact]
    public async Task Expired_token_is_refused()
    {
        var token = Token(Published);
        _time.Advance(TokenLifetime + ClockSkew + TimeSpan.FromSeconds(1));

        AssertRefused(await Verifier().Verify(Bearer(token)), AbdmProblems.Expired, token);
    }

    [Fact]
    public async Task Token_expired_less_than_the_clock_skew_ago_is_accepted()
    {
        var token = Token(Published);
        _time.Advance(TokenLifetime + ClockSkew - TimeSpan.FromSeconds(1));

        Assert.True((await Verifier().Verify(Bearer(token))).Valid);
    }

    [Fact]
    public async Task Token_not_valid_yet_is_refused()
    {
        var token = Token(Published, d => d.NotBefore = Now.AddMinutes(5));

        AssertRefused(await Verifier().Verify(Bearer(token)), AbdmProblems.NotYetValid, token);
    }

    [Fact]
    public async Task Token_without_exp_is_refused()
    {
        var token = Token(Published, d => d.Expires = null);

        AssertRefused(await Verifier().Verify(Bearer(token)), AbdmProblems.NoExpiry, token);
    }

    [Fact]
    public async Task Wrong_issuer_is_refused()
    {
        var token = Token(Published, d => d.Issuer = "https://attacker.example/gateway");

        AssertRefused(await Verifier().Verify(Bearer(token)), AbdmProblems.WrongIssuer, token);
    }

    [Fact]
    public async Task Wrong_audience_is_refused()
    {
        var token = Token(Published, d => d.Audience = "ANOTHER-HIP");

        AssertRefused(await Verifier().Verify(Bearer(token)), AbdmProblems.WrongAudience, token);
    }

    [Fact]
    public async Task Audience_is_not_checked_when_none_is_configured()
    {
        var token = Token(Published, d => d.Audience = "ANOTHER-HIP");

        Assert.True((await Verifier(audiences: []).Verify(Bearer(token))).Valid);
    }

    [Fact]
    public async Task Token_signed_by_a_foreign_key_is_refused()
    {
        // The published key's id, someone else's private key.
        var token = Token(Foreign.WithKid(Published.Kid));

        AssertRefused(await Verifier().Verify(Bearer(token)), AbdmProblems.BadSignature, token);
    }

    [Fact]
    public async Task Token_naming_a_key_the_gateway_does_not_publish_is_refused()
    {
        var token = Token(Foreign);

        AssertRefused(await Verifier().Verify(Bearer(token)), AbdmProblems.UnpublishedKey, token);
    }

    [Fact]
    public async Task Unknown_kid_refreshes_the_keys_once()
    {
        var verifier = Verifier();
        Assert.True((await verifier.Verify(Bearer(Token(Published)))).Valid);
        Publish(Rotated);

        var verification = await verifier.Verify(Bearer(Token(Rotated)));

        Assert.True(verification.Valid);
        Assert.Equal(2, Fetches);
    }

    [Fact]
    public async Task Unknown_kids_do_not_refetch_more_than_once_per_interval()
    {
        var verifier = Verifier();
        Assert.True((await verifier.Verify(Bearer(Token(Published)))).Valid);

        for (var i = 0; i < 20; i++)
        {
            AssertRefused(await verifier.Verify(Bearer(Token(Foreign.WithKid($"random-{i}")))), AbdmProblems.UnpublishedKey);
            _time.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.Equal(2, Fetches);

        _time.Advance(MinRefreshInterval);
        AssertRefused(await verifier.Verify(Bearer(Token(Foreign.WithKid("random-later")))), AbdmProblems.UnpublishedKey);
        Assert.Equal(3, Fetches);
        Assert.True((await verifier.Verify(Bearer(Token(Published)))).Valid);
        Assert.Equal(3, Fetches);
    }

    [Fact]
    public async Task Keys_are_fetched_again_after_their_lifetime()
    {
        var verifier = Verifier();
        Assert.True((await verifier.Verify(Bearer(Token(Published)))).Valid);
        _time.Advance(JwksLifetime - TimeSpan.FromSeconds(1));
        Assert.True((await verifier.Verify(Bearer(Token(Published)))).Valid);
        Assert.Equal(1, Fetches);

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True((await verifier.Verify(Bearer(Token(Published)))).Valid);
        Assert.Equal(2, Fetches);
    }

    [Fact]
    public async Task Alg_none_is_refused()
    {
        var signed = Token(Published);
        var header = Base64UrlEncoder.Encode($$"""{"alg":"none","typ":"JWT","kid":"{{Published.Kid}}"}""");
        var unsigned = $"{header}.{signed.Split('.')[1]}.";

        var withJunkSignature = unsigned + "AAAA";

        AssertRefused(await Verifier().Verify(Bearer(unsigned)), AbdmProblems.NotRs256, unsigned);
        AssertRefused(await Verifier().Verify(Bearer(withJunkSignature)), AbdmProblems.NotRs256, withJunkSignature);
        Assert.Equal(0, Fetches);
    }

    [Fact]
    public async Task Alg_none_made_by_the_token_handler_is_refused()
    {
        var descriptor = Descriptor();
        var unsigned = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);

        AssertRefused(await Verifier().Verify(Bearer(unsigned)), AbdmProblems.NotRs256, unsigned);
        Assert.Equal(0, Fetches);
    }

    public static TheoryData<string> PublicKeyEncodings => ["modulus", "jwk-json", "spki-der", "spki-pem"];

    [Theory]
    [MemberData(nameof(PublicKeyEncodings))]
    public async Task Hmac_signed_with_the_public_key_is_refused(string encoding)
    {
        var secret = encoding switch
        {
            "modulus" => Published.Public.Modulus!,
            "jwk-json" => Encoding.UTF8.GetBytes(Jwks(Published)),
            "spki-der" => Published.Rsa.ExportSubjectPublicKeyInfo(),
            _ => Encoding.UTF8.GetBytes(Published.Rsa.ExportSubjectPublicKeyInfoPem()),
        };
        var hmacKey = new SymmetricSecurityKey(secret) { KeyId = Published.Kid };
        foreach (var algorithm in new[] { SecurityAlgorithms.HmacSha256, SecurityAlgorithms.HmacSha512 })
        {
            var token = Token(Published, d => d.SigningCredentials = new SigningCredentials(hmacKey, algorithm));

            AssertRefused(await Verifier().Verify(Bearer(token)), AbdmProblems.NotRs256, token);
        }
    }

    [Fact]
    public async Task Hmac_signature_under_an_RS256_header_is_refused()
    {
        var hmacKey = new SymmetricSecurityKey(Published.Public.Modulus!) { KeyId = Published.Kid };
        var hmacToken = Token(Published, d => d.SigningCredentials = new SigningCredentials(hmacKey, SecurityAlgorithms.HmacSha256));
        var rs256Header = Token(Published).Split('.')[0];
        var forged = rs256Header + hmacToken[hmacToken.IndexOf('.')..];

        AssertRefused(await Verifier().Verify(Bearer(forged)), AbdmProblems.BadSignature, forged);
    }

    public static TheoryData<string?, string> MalformedHeaders => new()
    {
        { null, AbdmProblems.NoHeader },
        { "", AbdmProblems.NoHeader },
        { "   ", AbdmProblems.NoHeader },
        { "Basic x", AbdmProblems.NotBearer },
        { "Bearer", AbdmProblems.NoToken },
        { "Bearer   ", AbdmProblems.NoToken },
        { "Bearer not.a.jwt", AbdmProblems.NotAJwt },
        { "Bearer " + new string('a', 5_000) + "." + new string('b', 5_000) + "." + new string('c', 240), AbdmProblems.TooLong },
        { "Bearer eyJhbGciOiJSUzI1NiJ9\0.eyJzdWIiOiJ4In0\0.c2ln", AbdmProblems.NotAJwt },
        { "Bearer !!!.@@@.###", AbdmProblems.NotAJwt },
        { "Bearer eyJhbGciOiJSUzI1NiJ9.e+J/c3ViIjoieCJ9==.c2ln", AbdmProblems.NotAJwt },
        { "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0", AbdmProblems.NotAJwt },
        { "Bearer a.b.c.d.e", AbdmProblems.NotAJwt },
        { "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln extra", AbdmProblems.NotAJwt },
    };

    [Theory]
    [MemberData(nameof(MalformedHeaders))]
    public async Task Missing_or_malformed_header_is_refused(string? header, string problem)
    {
        var verification = await Verifier().Verify(header);

        AssertRefused(verification, problem, header?.Length > 7 ? header[7..].Trim() : null);
        Assert.Equal(0, Fetches);
    }

    [Fact]
    public async Task Token_header_that_is_not_json_is_refused()
    {
        var token = $"{Base64UrlEncoder.Encode("not json")}.{Base64UrlEncoder.Encode("{}")}.c2ln";

        AssertRefused(await Verifier().Verify(Bearer(token)), AbdmProblems.NotAJwt, token);
    }

    public static TheoryData<string> FetchFailures => ["refused", "reset", "timeout", "handler fault"];

    [Theory]
    [MemberData(nameof(FetchFailures))]
    public async Task Unreachable_jwks_gives_a_clear_problem_not_an_exception(string failure)
    {
        Exception thrown = failure switch
        {
            "refused" => new HttpRequestException("Connection refused", new System.Net.Sockets.SocketException(111)),
            "reset" => new IOException("The response ended prematurely."),
            "timeout" => new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout"),
            _ => new InvalidOperationException("a handler's own fault"),
        };
        using var http = new HttpClient(new ThrowingHandler(thrown));
        var token = Token(Published);
        var verifier = new AbdmCallbackVerifier(Options(), http, _time, _log);

        var verification = await verifier.Verify(Bearer(token));

        AssertRefused(verification, AbdmProblems.KeysUnavailable, token);
        var warning = Assert.Single(_log.Entries, e => e.Level == LogLevel.Warning);
        Assert.DoesNotContain(token, warning.Message);
    }

    [Fact]
    public async Task Closed_jwks_port_gives_a_clear_problem_not_an_exception()
    {
        var closed = WireMockServer.Start();
        var url = new Uri(closed.Url + "/no-such-certs-" + Guid.NewGuid().ToString("N"));
        closed.Stop();
        closed.Dispose();
        var token = Token(Published);

        // Another test's server may take the freed port; under a path nobody serves that answers 404, refused the same way.
        AssertRefused(await Verifier(jwksUrl: url).Verify(Bearer(token)), AbdmProblems.KeysUnavailable, token);
    }

    sealed class ThrowingHandler(Exception thrown) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromException<HttpResponseMessage>(thrown);
    }

    [Theory]
    [InlineData(500, """{"error":"down"}""")]
    [InlineData(200, "not json")]
    [InlineData(200, """{"keys":[]}""")]
    [InlineData(200, """{"keys":[{"kty":"oct","kid":"gateway-key-1","k":"c2VjcmV0"}]}""")]
    [InlineData(200, """{"keys":[{"kty":"RSA","kid":"gateway-key-1","n":"AQAB","e":"AQAB","alg":"RS256","use":"sig"}]}""")]
    [InlineData(200, """{"keys":[{"kty":"RSA","kid":"gateway-key-1","n":"%%%","e":"AQAB"}]}""")]
    public async Task Malformed_jwks_gives_a_clear_problem_not_an_exception(int status, string body)
    {
        Serve(status, body);
        var token = Token(Published);

        AssertRefused(await Verifier().Verify(Bearer(token)), AbdmProblems.KeysUnavailable, token);
        Assert.Contains(_log.Entries, e => e.Level == LogLevel.Warning);
    }

    [Fact]
    public async Task Failed_fetch_is_retried_only_after_the_refresh_interval()
    {
        Serve(503, "");
        var verifier = Verifier();
        var token = Token(Published);
        AssertRefused(await verifier.Verify(Bearer(token)), AbdmProblems.KeysUnavailable, token);
        Publish(Published);

        AssertRefused(await verifier.Verify(Bearer(token)), AbdmProblems.KeysUnavailable, token);
        Assert.Equal(1, Fetches);

        _time.Advance(MinRefreshInterval);
        Assert.True((await verifier.Verify(Bearer(token))).Valid);
        Assert.Equal(2, Fetches);
    }

    [Fact]
    public async Task Keys_that_cannot_be_refreshed_after_their_lifetime_are_not_used()
    {
        var verifier = Verifier();
        Assert.True((await verifier.Verify(Bearer(Token(Published)))).Valid);
        Serve(500, "");
        _time.Advance(JwksLifetime);
        var token = Token(Published);

        AssertRefused(await verifier.Verify(Bearer(token)), AbdmProblems.KeysUnavailable, token);
    }

    [Fact]
    public async Task Keys_are_fetched_once_for_many_concurrent_calls()
    {
        Publish(TimeSpan.FromMilliseconds(300), Published);
        var verifier = Verifier();
        var header = Bearer(Token(Published));

        var verifications = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => Task.Run(() => verifier.Verify(header))));

        Assert.All(verifications, v => Assert.True(v.Valid));
        Assert.Equal(1, Fetches);
    }

    [Fact]
    public async Task Concurrent_calls_share_one_failed_fetch()
    {
        var closed = WireMockServer.Start();
        var url = new Uri(closed.Url + CertsPath);
        closed.Stop();
        closed.Dispose();
        var verifier = Verifier(jwksUrl: url);
        var header = Bearer(Token(Published));

        var verifications = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => Task.Run(() => verifier.Verify(header))));

        Assert.All(verifications, v => Assert.Equal(AbdmProblems.KeysUnavailable, v.Problem));
        Assert.Single(_log.Entries, e => e.Level == LogLevel.Warning);
    }

    [Fact]
    public async Task A_cancelled_caller_gets_its_cancellation_and_does_not_spoil_the_cache()
    {
        Publish(TimeSpan.FromSeconds(1), Published);
        var verifier = Verifier();
        var header = Bearer(Token(Published));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => verifier.Verify(header, cancel.Token));

        Publish(Published);
        Assert.True((await verifier.Verify(header)).Valid);
    }

    [Fact]
    public async Task No_problem_ever_contains_the_token()
    {
        var hmacKey = new SymmetricSecurityKey(Published.Public.Modulus!) { KeyId = Published.Kid };
        var tokens = new[]
        {
            Token(Published, d => d.Issuer = "https://other"),
            Token(Published, d => d.Audience = "other"),
            Token(Published, d => d.Expires = null),
            Token(Published, d => d.NotBefore = Now.AddHours(1)),
            Token(Foreign.WithKid(Published.Kid)),
            Token(Foreign),
            Token(Published, d => d.SigningCredentials = new SigningCredentials(hmacKey, SecurityAlgorithms.HmacSha256)),
            Token(Published) + "x",
        };
        var verifier = Verifier();

        foreach (var token in tokens)
            AssertRefused(await verifier.Verify(Bearer(token)), problem: null, token);
        Assert.All(_log.Entries, e => Assert.All(tokens, t => AssertHoldsNoPartOf(t, e.Message)));
    }

    [Fact]
    public void Options_without_an_issuer_are_refused()
    {
        var options = new AbdmJwtOptions { JwksUrl = new Uri(_gateway.Url + CertsPath), Issuers = [] };

        Assert.Throws<ArgumentException>(() => new AbdmCallbackVerifier(options, _http, _time));
    }

    static readonly TimeSpan TokenLifetime = TimeSpan.FromMinutes(10);
    static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(1);
    static readonly TimeSpan JwksLifetime = TimeSpan.FromHours(1);
    static readonly TimeSpan MinRefreshInterval = TimeSpan.FromSeconds(30);

    DateTime Now => _time.GetUtcNow().UtcDateTime;

    int Fetches => _gateway.LogEntries.Count(e => e.RequestMessage.Path == CertsPath);

    AbdmCallbackVerifier Verifier(IReadOnlyList<string>? audiences = null, Uri? jwksUrl = null) =>
        new(Options(audiences, jwksUrl), _http, _time, _log);

    AbdmJwtOptions Options(IReadOnlyList<string>? audiences = null, Uri? jwksUrl = null) =>
        new AbdmJwtOptions
        {
            JwksUrl = jwksUrl ?? new Uri(_gateway.Url + CertsPath),
            Issuers = ["https://other-issuer.example", Issuer],
            Audiences = audiences ?? [Audience],
            ClockSkew = ClockSkew,
            JwksLifetime = JwksLifetime,
            MinRefreshInterval = MinRefreshInterval,
        };

    static string Bearer(string token) => "Bearer " + token;

    SecurityTokenDescriptor Descriptor() => new()
    {
        Issuer = Issuer,
        Audience = Audience,
        IssuedAt = Now,
        NotBefore = Now,
        Expires = Now + TokenLifetime,
        Claims = new Dictionary<string, object> { ["clientId"] = "GATEWAY-CLIENT", ["sub"] = "gateway-subject" },
    };

    string Token(SigningKey key, Action<SecurityTokenDescriptor>? change = null)
    {
        var descriptor = Descriptor();
        descriptor.SigningCredentials = new SigningCredentials(key.Private, SecurityAlgorithms.RsaSha256);
        change?.Invoke(descriptor);
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    void Publish(params SigningKey[] keys) => Publish(TimeSpan.Zero, keys);

    void Publish(TimeSpan delay, params SigningKey[] keys)
    {
        var response = Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Jwks(keys));
        _gateway.ResetMappings();
        _gateway.Given(Request.Create().WithPath(CertsPath).UsingGet())
            .RespondWith(delay > TimeSpan.Zero ? response.WithDelay(delay) : response);
    }

    void Serve(int status, string body)
    {
        _gateway.ResetMappings();
        _gateway.Given(Request.Create().WithPath(CertsPath).UsingGet())
            .RespondWith(Response.Create().WithStatusCode(status).WithHeader("Content-Type", "application/json").WithBody(body));
    }

    static string Jwks(params SigningKey[] keys) => JsonSerializer.Serialize(new
    {
        keys = keys.Select(k => new Dictionary<string, string>
        {
            ["kty"] = "RSA",
            ["kid"] = k.Kid,
            ["n"] = Base64UrlEncoder.Encode(k.Public.Modulus),
            ["e"] = Base64UrlEncoder.Encode(k.Public.Exponent),
            ["alg"] = "RS256",
            ["use"] = "sig",
        }),
    });

    static void AssertRefused(AbdmVerification verification, string? problem, string? token = null)
    {
        Assert.False(verification.Valid);
        Assert.NotNull(verification.Problem);
        if (problem is not null)
            Assert.Equal(problem, verification.Problem);
        Assert.Null(verification.Subject);
        Assert.Empty(verification.Claims);
        if (!string.IsNullOrEmpty(token))
            AssertHoldsNoPartOf(token, verification.Problem);
    }

    // Neither the token nor any of its parts long enough to mean something.
    static void AssertHoldsNoPartOf(string token, string text)
    {
        Assert.DoesNotContain(token, text, StringComparison.Ordinal);
        foreach (var part in token.Split('.').Where(p => p.Length >= 8))
            Assert.DoesNotContain(part, text, StringComparison.Ordinal);
    }

    sealed class SigningKey
    {
        public SigningKey(string kid) : this(kid, RSA.Create(2048)) { }

        SigningKey(string kid, RSA rsa)
        {
            Kid = kid;
            Rsa = rsa;
            Private = new RsaSecurityKey(rsa) { KeyId = kid };
            Public = rsa.ExportParameters(includePrivateParameters: false);
        }

        public string Kid { get; }
        public RSA Rsa { get; }
        public RsaSecurityKey Private { get; }
        public RSAParameters Public { get; }

        /// <summary>The same key pair under another key id.</summary>
        public SigningKey WithKid(string kid) => new(kid, Rsa);
    }
}

/// <summary>A clock that moves only when told.</summary>
sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}

sealed class CapturingLogger<T> : ILogger<T>
{
    readonly ConcurrentQueue<(LogLevel Level, string Message)> _entries = new();

    public IReadOnlyList<(LogLevel Level, string Message)> Entries => [.. _entries];

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _entries.Enqueue((logLevel, formatter(state, exception) + (exception is null ? "" : " " + exception)));
}
