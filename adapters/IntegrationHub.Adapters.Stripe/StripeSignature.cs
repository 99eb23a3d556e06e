using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace IntegrationHub.Adapters.Stripe;

/// <summary>
/// <c>Stripe-Signature: t=&lt;unix&gt;,v1=&lt;hex&gt;[,v1=…][,v0=…]</c>: hex(HMAC-SHA256(endpoint secret, t + "." + raw body)),
/// compared in constant time against every v1 (several during a secret's rotation), the timestamp no further than the
/// tolerance from now in either direction. The body is the bytes as received: re-serialised JSON does not verify.
/// </summary>
public static class StripeSignature
{
    public const string Header = "Stripe-Signature";
    public static readonly TimeSpan DefaultTolerance = TimeSpan.FromSeconds(300);
    const int MaxHeaderLength = 4096;

    public static string Compute(string secret, long timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(timestamp.ToString(CultureInfo.InvariantCulture) + ".");
        var message = new byte[prefix.Length + body.Length];
        prefix.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(prefix.Length));
        return Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), message));
    }

    public static string HeaderFor(string secret, long timestamp, ReadOnlySpan<byte> body) => $"t={timestamp},v1={Compute(secret, timestamp, body)}";

    /// <summary>Null when the header verifies against one of <paramref name="secrets"/>; otherwise why not (no secret or body in it).</summary>
    public static string? Problem(string? header, ReadOnlySpan<byte> body, IReadOnlyCollection<string> secrets, DateTimeOffset now, TimeSpan tolerance)
    {
        if (string.IsNullOrEmpty(header)) return $"no {Header} header";
        if (header.Length > MaxHeaderLength) return $"{Header} is longer than {MaxHeaderLength} characters";
        long? timestamp = null;
        var signatures = new List<byte[]>();
        foreach (var item in header.Split(','))
        {
            var equals = item.IndexOf('=');
            if (equals <= 0) continue;
            var key = item[..equals].Trim();
            var value = item[(equals + 1)..].Trim();
            if (key == "t")
            {
                if (timestamp is not null || !long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var t))
                    return $"{Header} has no single readable timestamp";
                timestamp = t;
            }
            else if (key == "v1" && value.Length == 64 && value.All(char.IsAsciiHexDigit))
                signatures.Add(Convert.FromHexString(value));
        }
        if (timestamp is null) return $"{Header} has no timestamp";
        if (signatures.Count == 0) return $"{Header} has no v1 signature";
        // Compared as seconds from now, so that a huge timestamp cannot overflow a date.
        var age = now.ToUnixTimeSeconds() - (double)timestamp.Value;
        if (Math.Abs(age) > tolerance.TotalSeconds) return $"{Header} timestamp is {(age > 0 ? "older" : "further ahead")} than the {tolerance.TotalSeconds:0} s tolerance";
        foreach (var secret in secrets)
        {
            var expected = Convert.FromHexString(Compute(secret, timestamp.Value, body));
            foreach (var signature in signatures)
                if (CryptographicOperations.FixedTimeEquals(expected, signature))
                    return null;
        }
        return $"no v1 signature in {Header} matches the endpoint's secret";
    }
}
