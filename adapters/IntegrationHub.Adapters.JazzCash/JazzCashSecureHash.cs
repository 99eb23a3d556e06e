using System.Security.Cryptography;
using System.Text;

namespace IntegrationHub.Adapters.JazzCash;

/// <summary>
/// JazzCash's <c>pp_SecureHash</c> (docs/payments.md): every field whose name starts with <c>pp</c> (case-sensitive,
/// <c>ppmpf_*</c> included, the hash itself excluded) with a non-empty value, sorted by name in ordinal order, values
/// joined with <c>&amp;</c> after the integrity salt, HMAC-SHA256 keyed by the salt, upper-case hex. Compared
/// case-insensitively, since JazzCash's own documents print both cases.
/// </summary>
public static class JazzCashSecureHash
{
    public const string Field = "pp_SecureHash";

    public static string Compute(IEnumerable<KeyValuePair<string, string?>> fields, string integritySalt)
    {
        var values = fields
            .Where(f => f.Key.StartsWith("pp", StringComparison.Ordinal) && f.Key != Field && !string.IsNullOrEmpty(f.Value))
            .OrderBy(f => f.Key, StringComparer.Ordinal) // never culture or OrdinalIgnoreCase: 'M' < '_' would move ppmpf_ first
            .Select(f => f.Value!);
        var message = integritySalt + "&" + string.Join("&", values);
        // JazzCash converts to ISO-8859-1 before hashing; for the ASCII the hub sends, it is the same as UTF-8.
        return Convert.ToHexString(HMACSHA256.HashData(Encoding.UTF8.GetBytes(integritySalt), Encoding.Latin1.GetBytes(message)));
    }

    public static bool Verify(IReadOnlyDictionary<string, string?> received, string integritySalt)
    {
        if (!received.TryGetValue(Field, out var got) || got is not { Length: 64 } || !got.All(char.IsAsciiHexDigit))
            return false;
        return CryptographicOperations.FixedTimeEquals(Convert.FromHexString(Compute(received, integritySalt)), Convert.FromHexString(got));
    }

    /// <summary>The fields with their hash added.</summary>
    public static List<KeyValuePair<string, string>> Signed(IEnumerable<KeyValuePair<string, string>> fields, string integritySalt)
    {
        var list = fields.ToList();
        list.Add(new(Field, Compute(list.Select(f => new KeyValuePair<string, string?>(f.Key, f.Value)), integritySalt)));
        return list;
    }
}
