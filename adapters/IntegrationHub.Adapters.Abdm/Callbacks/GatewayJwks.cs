using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace IntegrationHub.Adapters.Abdm.Callbacks;

/// <summary>The gateway's JWKS was unreachable, answered an error, or held no usable key. The message names no key material.</summary>
internal sealed class GatewayJwksUnusableException(string message) : Exception(message);

/// <summary>Fetches the gateway's JWKS and keeps only its RS256 signing keys.</summary>
internal static class GatewayJwks
{
    const int MaxBytes = 1 << 20;
    const int MinKeyBits = 2048;

    public static async Task<IReadOnlyDictionary<string, SecurityKey>> Fetch(HttpClient http, Uri url, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw new GatewayJwksUnusableException($"the gateway answered {(int)response.StatusCode}");
        return SigningKeys(await ReadLimited(response.Content, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>RSA keys with a kid, meant for signatures (or unmarked) and for RS256 (or unmarked), of at least 2048 bits.</summary>
    public static IReadOnlyDictionary<string, SecurityKey> SigningKeys(string json)
    {
        JsonWebKeySet set;
        try
        {
            set = new JsonWebKeySet(json);
        }
        catch (ArgumentException)
        {
            throw new GatewayJwksUnusableException("the key set is not valid JSON");
        }

        var keys = new Dictionary<string, SecurityKey>(StringComparer.Ordinal);
        foreach (var key in set.Keys)
            if (RsaSigningKey(key) is { } rsa)
                keys.TryAdd(rsa.KeyId, rsa);
        return keys.Count > 0 ? keys : throw new GatewayJwksUnusableException("the key set holds no RS256 signing key");
    }

    static RsaSecurityKey? RsaSigningKey(JsonWebKey key)
    {
        if (key.Kty != JsonWebAlgorithmsKeyTypes.RSA || string.IsNullOrEmpty(key.Kid)
            || !(string.IsNullOrEmpty(key.Use) || key.Use == JsonWebKeyUseNames.Sig)
            || !(string.IsNullOrEmpty(key.Alg) || key.Alg == SecurityAlgorithms.RsaSha256)
            || string.IsNullOrEmpty(key.N) || string.IsNullOrEmpty(key.E))
            return null;
        try
        {
            var modulus = Base64UrlEncoder.DecodeBytes(key.N).AsSpan().TrimStart((byte)0).ToArray();
            var exponent = Base64UrlEncoder.DecodeBytes(key.E).AsSpan().TrimStart((byte)0).ToArray();
            if (modulus.Length * 8 < MinKeyBits || exponent.Length == 0)
                return null;
            return new RsaSecurityKey(new RSAParameters { Modulus = modulus, Exponent = exponent }) { KeyId = key.Kid };
        }
        catch (FormatException)
        {
            return null;
        }
    }

    static async Task<string> ReadLimited(HttpContent content, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength > MaxBytes)
            throw new GatewayJwksUnusableException("the key set is too large");
        await using var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var body = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (body.Length + read > MaxBytes)
                throw new GatewayJwksUnusableException("the key set is too large");
            body.Write(chunk, 0, read);
        }
        return Encoding.UTF8.GetString(body.GetBuffer(), 0, (int)body.Length);
    }
}
