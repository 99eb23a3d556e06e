namespace IntegrationHub.Adapters.Abdm.Callbacks;

/// <summary>
/// What <see cref="AbdmCallbackVerifier.Verify"/> found. <paramref name="Problem"/> (when invalid) is one English sentence
/// fit for a 401 body; it never holds the token. <paramref name="Subject"/> is the <c>clientId</c> claim, else <c>sub</c>.
/// <paramref name="Claims"/> holds the verified token's claims by name (a claim with several values: joined with commas).
/// </summary>
public sealed record AbdmVerification(bool Valid, string? Problem, string? Subject, IReadOnlyDictionary<string, string> Claims)
{
    static readonly IReadOnlyDictionary<string, string> NoClaims = new Dictionary<string, string>();

    public static AbdmVerification Accepted(string? subject, IReadOnlyDictionary<string, string> claims) =>
        new(true, null, subject, claims);

    public static AbdmVerification Refused(string problem) => new(false, problem, null, NoClaims);
}

/// <summary>The sentences a refusal carries.</summary>
internal static class AbdmProblems
{
    public const string NoHeader = "The request has no Authorization header.";
    public const string NotBearer = "The Authorization header is not a Bearer token.";
    public const string NoToken = "The Authorization header has no token after Bearer.";
    public const string TooLong = "The token is longer than the hub accepts.";
    public const string NotAJwt = "The token is not a signed JWT.";
    public const string NotRs256 = "The token is not signed with RS256, the only algorithm the hub accepts.";
    public const string NoKeyId = "The token does not name the key that signed it (no kid).";
    public const string UnpublishedKey = "The token is signed by a key the gateway does not publish.";
    public const string KeysUnavailable = "The gateway's keys could not be fetched.";
    public const string BadSignature = "The token's signature does not match the gateway's key.";
    public const string WrongIssuer = "The token was issued by an issuer the hub does not accept.";
    public const string WrongAudience = "The token is meant for an audience other than this hub.";
    public const string NoExpiry = "The token has no expiry time (exp).";
    public const string Expired = "The token has expired.";
    public const string NotYetValid = "The token is not valid yet (nbf).";
    public const string BadLifetime = "The token's validity period is inconsistent.";
    public const string Unverifiable = "The token could not be verified.";
}
