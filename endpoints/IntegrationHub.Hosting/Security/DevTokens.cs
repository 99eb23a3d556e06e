using System.Security.Claims;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace IntegrationHub.Hosting.Security;

/// <summary>
/// Tokens signed with the development key (<c>Hub:Auth:DevSigningKey</c>), as <c>hubctl token</c> prints them and
/// tests use them. Only a hub started with the same dev key accepts them.
/// </summary>
public static class DevTokens
{
    public const string Issuer = "integrationhub-dev";
    public const string Audience = "integrationhub-dev";

    public static string Create(string signingKey, string department, IEnumerable<string> scopes, TimeSpan lifetime, DateTimeOffset? now = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(department);
        var issuedAt = (now ?? DateTimeOffset.UtcNow).UtcDateTime;
        var expires = issuedAt + lifetime;
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            IssuedAt = issuedAt < expires ? issuedAt : expires.AddSeconds(-1),
            NotBefore = issuedAt < expires ? issuedAt : expires.AddSeconds(-1),
            Expires = expires,
            Subject = new ClaimsIdentity(
            [
                new Claim("sub", "dev:" + department),
                new Claim(HubClaims.Department, department),
                new Claim(HubClaims.Scope, string.Join(' ', scopes)),
            ]),
            SigningCredentials = new SigningCredentials(SigningKey(signingKey), SecurityAlgorithms.HmacSha256),
        };
        return new JsonWebTokenHandler().CreateToken(descriptor);
    }

    public static SymmetricSecurityKey SigningKey(string signingKey) => new(Encoding.UTF8.GetBytes(signingKey));
}
