using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace IntegrationHub.Adapters.Abdm.Callbacks;

/// <summary>
/// Verifies the <c>Authorization: Bearer</c> token of a call from the ABDM gateway: an RS256 JWT signed by a key in the
/// gateway's JWKS, from an accepted issuer (and audience), within its lifetime. Run it before the call's body is read.
/// Never throws for a bad token or an unreachable key set; only the caller's cancellation is thrown.
/// </summary>
public sealed partial class AbdmCallbackVerifier
{
    readonly AbdmJwtOptions _options;
    readonly TimeProvider _time;
    readonly ILogger _logger;
    readonly GatewayKeys _keys;
    readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    public AbdmCallbackVerifier(AbdmJwtOptions options, HttpClient http, TimeProvider time, ILogger<AbdmCallbackVerifier>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(time);
        options.EnsureValid();
        _options = options;
        _time = time;
        _logger = logger ?? NullLogger<AbdmCallbackVerifier>.Instance;
        _keys = new GatewayKeys(options, http, time, _logger);
    }

    public async Task<AbdmVerification> Verify(string? authorizationHeader, CancellationToken cancellationToken = default)
    {
        var verification = await VerifyToken(authorizationHeader, cancellationToken).ConfigureAwait(false);
        if (!verification.Valid)
            LogRefused(_logger, verification.Problem!);
        return verification;
    }

    async Task<AbdmVerification> VerifyToken(string? authorizationHeader, CancellationToken cancellationToken)
    {
        if (BearerToken.Read(authorizationHeader, _options.MaxTokenLength, out var token) is { } headerProblem)
            return AbdmVerification.Refused(headerProblem);
        if (Read(token) is not { } jwt)
            return AbdmVerification.Refused(AbdmProblems.NotAJwt);
        // Pinned before any key is looked up: a token naming another algorithm (none, HS256 keyed with the public key…) is never checked.
        if (jwt.Alg != SecurityAlgorithms.RsaSha256)
            return AbdmVerification.Refused(AbdmProblems.NotRs256);
        if (string.IsNullOrEmpty(jwt.Kid))
            return AbdmVerification.Refused(AbdmProblems.NoKeyId);

        var lookup = await _keys.Find(jwt.Kid, cancellationToken).ConfigureAwait(false);
        if (lookup.Outcome != KeyLookupOutcome.Found)
            return AbdmVerification.Refused(lookup.Outcome == KeyLookupOutcome.Unavailable ? AbdmProblems.KeysUnavailable : AbdmProblems.UnpublishedKey);

        var result = await _handler.ValidateTokenAsync(jwt, Parameters(lookup.Key!)).ConfigureAwait(false);
        if (!result.IsValid)
            return AbdmVerification.Refused(ProblemOf(result.Exception));

        var claims = jwt.Claims.GroupBy(c => c.Type, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => string.Join(",", g.Select(c => c.Value)), StringComparer.Ordinal);
        return AbdmVerification.Accepted(SubjectOf(claims), claims);
    }

    JsonWebToken? Read(string token)
    {
        try
        {
            var jwt = _handler.ReadJsonWebToken(token);
            return jwt.IsEncrypted ? null : jwt;
        }
        catch (ArgumentException)
        {
            // SecurityTokenMalformedException is one: bad base64url, header or payload not JSON, wrong number of parts.
            return null;
        }
    }

    TokenValidationParameters Parameters(SecurityKey key) => new()
    {
        ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
        IssuerSigningKey = key,
        TryAllIssuerSigningKeys = false,
        RequireSignedTokens = true,
        ValidateIssuer = true,
        ValidIssuers = _options.Issuers,
        ValidateAudience = _options.Audiences.Count > 0,
        ValidAudiences = _options.Audiences,
        ValidateLifetime = true,
        RequireExpirationTime = true,
        ClockSkew = _options.ClockSkew,
        LifetimeValidator = ValidateLifetime,
    };

    // Against the injected clock; throws the specific exception so the refusal can say what was wrong.
    bool ValidateLifetime(DateTime? notBefore, DateTime? expires, SecurityToken token, TokenValidationParameters parameters)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        if (expires is null)
            throw new SecurityTokenNoExpirationException("no exp");
        if (notBefore > expires)
            throw new SecurityTokenInvalidLifetimeException("nbf after exp");
        if (notBefore > now + _options.ClockSkew)
            throw new SecurityTokenNotYetValidException("nbf in the future");
        if (expires < now - _options.ClockSkew)
            throw new SecurityTokenExpiredException("exp in the past");
        return true;
    }

    // The exception's own message is never passed on: the caller gets a fixed sentence.
    static string ProblemOf(Exception? exception) => exception switch
    {
        SecurityTokenExpiredException => AbdmProblems.Expired,
        SecurityTokenNotYetValidException => AbdmProblems.NotYetValid,
        SecurityTokenNoExpirationException => AbdmProblems.NoExpiry,
        SecurityTokenInvalidLifetimeException => AbdmProblems.BadLifetime,
        SecurityTokenInvalidIssuerException => AbdmProblems.WrongIssuer,
        SecurityTokenInvalidAudienceException => AbdmProblems.WrongAudience,
        SecurityTokenInvalidAlgorithmException => AbdmProblems.NotRs256,
        SecurityTokenInvalidSignatureException => AbdmProblems.BadSignature,
        _ => AbdmProblems.Unverifiable,
    };

    static string? SubjectOf(IReadOnlyDictionary<string, string> claims) =>
        claims.GetValueOrDefault("clientId") is { Length: > 0 } clientId ? clientId : claims.GetValueOrDefault(JwtRegisteredClaimNames.Sub);

    [LoggerMessage(Level = LogLevel.Debug, Message = "An ABDM gateway call was refused: {Problem}")]
    static partial void LogRefused(ILogger logger, string problem);
}

/// <summary>The token of an <c>Authorization: Bearer</c> header, checked for shape only.</summary>
internal static class BearerToken
{
    const string Scheme = "Bearer";

    /// <summary>The problem with the header, or null with <paramref name="token"/> set.</summary>
    public static string? Read(string? header, int maxLength, out string token)
    {
        token = "";
        if (string.IsNullOrWhiteSpace(header))
            return AbdmProblems.NoHeader;
        var trimmed = header.AsSpan().Trim();
        var space = trimmed.IndexOf(' ');
        var scheme = space < 0 ? trimmed : trimmed[..space];
        if (!scheme.Equals(Scheme, StringComparison.OrdinalIgnoreCase))
            return AbdmProblems.NotBearer;
        var value = space < 0 ? [] : trimmed[(space + 1)..].TrimStart(' ');
        if (value.IsEmpty)
            return AbdmProblems.NoToken;
        if (value.Length > maxLength)
            return AbdmProblems.TooLong;
        // A signed JWT is three base64url parts joined by dots; anything else (NUL, spaces, '+', '=') is refused unread.
        if (value.Count('.') != 2 || value.ContainsAnyExcept(JwtCharacters))
            return AbdmProblems.NotAJwt;
        token = value.ToString();
        return null;
    }

    static readonly System.Buffers.SearchValues<char> JwtCharacters =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.");
}
