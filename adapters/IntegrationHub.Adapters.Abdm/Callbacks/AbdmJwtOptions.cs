namespace IntegrationHub.Adapters.Abdm.Callbacks;

/// <summary>How the gateway's bearer tokens are verified (see <see cref="AbdmCallbackVerifier"/>).</summary>
public sealed class AbdmJwtOptions
{
    /// <summary>The gateway's JWKS: <c>{gateway}/api/hiecm/gateway/v3/certs</c> (v3) or <c>{gateway}/v0.5/certs</c> (v0.5).</summary>
    public required Uri JwksUrl { get; init; }

    /// <summary>The accepted <c>iss</c> values; at least one.</summary>
    public required IReadOnlyList<string> Issuers { get; init; }

    /// <summary>
    /// The accepted <c>aud</c> values. Empty means the audience is NOT checked: only for gateways whose tokens carry no
    /// audience the hub can name; any token the gateway signed for any client is then accepted.
    /// </summary>
    public IReadOnlyList<string> Audiences { get; init; } = [];

    /// <summary>Tolerance on <c>exp</c> and <c>nbf</c> for clocks that disagree.</summary>
    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How long fetched keys are used; after this they are fetched again before the next token is verified.</summary>
    public TimeSpan JwksLifetime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>
    /// An unknown <c>kid</c> (or a failed fetch) allows at most one further fetch per this interval, so forged tokens with
    /// random kids cannot make the hub hammer the gateway.
    /// </summary>
    public TimeSpan MinRefreshInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Longer tokens are refused unread.</summary>
    public int MaxTokenLength { get; init; } = 8192;

    internal void EnsureValid()
    {
        ArgumentNullException.ThrowIfNull(JwksUrl);
        if (!JwksUrl.IsAbsoluteUri)
            throw new ArgumentException("The JWKS URL must be absolute.", nameof(JwksUrl));
        if (Issuers is null || Issuers.Count == 0 || Issuers.Any(string.IsNullOrWhiteSpace))
            throw new ArgumentException("At least one issuer is required, and none may be blank.", nameof(Issuers));
        if (Audiences is null || Audiences.Any(string.IsNullOrWhiteSpace))
            throw new ArgumentException("Audiences may be empty but not null, and none may be blank.", nameof(Audiences));
        ArgumentOutOfRangeException.ThrowIfLessThan(ClockSkew, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(JwksLifetime, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(MinRefreshInterval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(MaxTokenLength, 0);
    }
}
