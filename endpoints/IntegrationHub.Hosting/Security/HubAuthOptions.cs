using System.Text;

namespace IntegrationHub.Hosting.Security;

/// <summary>
/// The <c>Hub:Auth</c> section. Production: <see cref="Authority"/> (an OIDC issuer, e.g. a Keycloak realm) and
/// <see cref="Audience"/>. Development: <see cref="DevSigningKey"/>, a shared HS256 key (from the environment,
/// <c>Hub__Auth__DevSigningKey</c>, never from the repository) that <c>hubctl token</c> signs with.
/// </summary>
public sealed class HubAuthOptions
{
    public const string SectionName = "Hub:Auth";
    public const int MinimumDevKeyBytes = 32;

    public string? Authority { get; set; }
    public string? Audience { get; set; }
    public string? DevSigningKey { get; set; }

    /// <summary>Development: a file holding the key, created with a random one if missing (see <see cref="DevKeyFile"/>).</summary>
    public string? DevSigningKeyFile { get; set; }

    /// <summary>Only for an authority on plain HTTP (a local Keycloak); HTTPS otherwise.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    public bool UsesDevKey => string.IsNullOrEmpty(Authority) && !string.IsNullOrEmpty(DevSigningKey);

    /// <summary>Null when the options can run; otherwise what to configure, in words an operator can act on.</summary>
    public string? Problem()
    {
        if (!string.IsNullOrEmpty(Authority))
            return string.IsNullOrEmpty(Audience)
                ? "Hub:Auth:Audience must be set with Hub:Auth:Authority (the audience your identity provider puts in the hub's tokens)."
                : null;
        if (string.IsNullOrEmpty(DevSigningKey))
            return "No token validation is configured. Set Hub:Auth:Authority and Hub:Auth:Audience (OIDC identity provider), " +
                   "or for development only Hub:Auth:DevSigningKey (environment Hub__Auth__DevSigningKey, at least " +
                   $"{MinimumDevKeyBytes} bytes, e.g. `openssl rand -base64 48`).";
        if (Encoding.UTF8.GetByteCount(DevSigningKey) < MinimumDevKeyBytes)
            return $"Hub:Auth:DevSigningKey is too short: it must be at least {MinimumDevKeyBytes} bytes (e.g. `openssl rand -base64 48`).";
        return null;
    }
}
