using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace IntegrationHub.Hosting.Security;

/// <summary>
/// The hub's HMAC signature header, on webhooks it sends and on provider callbacks it receives:
/// <c>Hub-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256(secret, t + "." + raw body)&gt;</c>.
/// The timestamp is signed so a captured request cannot be replayed later than <see cref="DefaultTolerance"/>.
/// Several <c>v1</c> values may be present (secret rotation); any match is accepted.
/// </summary>
public static class HubSignature
{
    public const string HeaderName = "Hub-Signature";
    public static readonly TimeSpan DefaultTolerance = TimeSpan.FromMinutes(5);
    static readonly long MaxUnixSeconds = DateTimeOffset.MaxValue.ToUnixTimeSeconds();

    public static string Create(string secret, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        var timestamp = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return $"t={timestamp},v1={Compute(secret, timestamp, body)}";
    }

    public static string Compute(string secret, string timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(timestamp + ".");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));
        return Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed));
    }

    public enum Result { Valid, Missing, Malformed, Expired, Mismatch }

    public static Result Verify(string? header, string secret, ReadOnlySpan<byte> body, DateTimeOffset now, TimeSpan? tolerance = null)
    {
        if (string.IsNullOrWhiteSpace(header)) return Result.Missing;

        string? timestamp = null;
        var signatures = new List<string>();
        foreach (var part in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            if (eq <= 0) return Result.Malformed;
            var (key, value) = (part[..eq], part[(eq + 1)..]);
            if (key == "t") timestamp = value;
            else if (key == "v1") signatures.Add(value);
        }

        if (timestamp is null || signatures.Count == 0 || !long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            return Result.Malformed;
        // A time no clock shows is refused before it becomes a DateTimeOffset (which would throw for it).
        if (seconds > MaxUnixSeconds || (now - DateTimeOffset.FromUnixTimeSeconds(seconds)).Duration() > (tolerance ?? DefaultTolerance))
            return Result.Expired;

        var expected = Encoding.ASCII.GetBytes(Compute(secret, timestamp, body));
        return signatures.Any(s => CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(s.ToLowerInvariant())))
            ? Result.Valid
            : Result.Mismatch;
    }
}
