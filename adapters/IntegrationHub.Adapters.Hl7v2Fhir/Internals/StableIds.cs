using System.Security.Cryptography;
using System.Text;

namespace IntegrationHub.Adapters.Hl7v2Fhir.Internals;

/// <summary>
/// Resource ids that are the same for the same source data (a Patient from <c>MRN-77</c> of <c>CLINIC</c> is one id
/// whether an A04 or an A08 carries it): a name-based UUID (RFC 9562 version 8, SHA-256) over the resource type and
/// the parts that identify it.
/// </summary>
internal static class StableIds
{
    public static string For(string resourceType, params string?[] parts)
    {
        // Exactly as sent: a sender's identifiers may differ by case alone (abc and ABC two patients).
        var text = resourceType + "\u001f" + string.Join("\u001f", parts.Select(p => p ?? ""));
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80); // version 8
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80); // RFC variant
        return new Guid(hash[..16], bigEndian: true).ToString("D");
    }
}
