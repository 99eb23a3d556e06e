using System.Security.Cryptography;
using System.Text;

namespace IntegrationHub.Adapters.Notifications;

/// <summary>
/// SendGrid's signed Event Webhook (formats.md §4): ECDSA P-256 with SHA-256 over the timestamp header followed by the
/// raw body, the signature base64 DER in <c>X-Twilio-Email-Event-Webhook-Signature</c>, the timestamp in
/// <c>X-Twilio-Email-Event-Webhook-Timestamp</c>, the public key the account's base64 DER SubjectPublicKeyInfo. A
/// timestamp further than the tolerance from now is refused, so an old event cannot be replayed.
/// </summary>
public sealed class SendGridSignature : IDisposable
{
    public const string SignatureHeader = "X-Twilio-Email-Event-Webhook-Signature";
    public const string TimestampHeader = "X-Twilio-Email-Event-Webhook-Timestamp";
    readonly ECDsa _key;

    public SendGridSignature(string publicKeyBase64)
    {
        _key = ECDsa.Create();
        try
        {
            _key.ImportSubjectPublicKeyInfo(Convert.FromBase64String(publicKeyBase64), out _);
        }
        catch (Exception e) when (e is FormatException or CryptographicException)
        {
            _key.Dispose();
            throw new ArgumentException("the SendGrid verification key is not a base64 DER P-256 public key", nameof(publicKeyBase64), e);
        }
        if (_key.KeySize != 256)
        {
            _key.Dispose();
            throw new ArgumentException("the SendGrid verification key is not a P-256 key", nameof(publicKeyBase64));
        }
    }

    /// <summary>Null when the event batch is SendGrid's; otherwise why not (never the body).</summary>
    public string? Problem(string? signature, string? timestamp, ReadOnlySpan<byte> body, DateTimeOffset now, TimeSpan? tolerance)
    {
        if (string.IsNullOrEmpty(signature) || string.IsNullOrEmpty(timestamp)) return $"no {SignatureHeader} or {TimestampHeader} header";
        if (signature.Length > 256 || timestamp.Length > 20 || !timestamp.All(char.IsAsciiDigit)) return "the signature headers are malformed";
        if (tolerance is { } window && (!long.TryParse(timestamp, out var seconds) || Math.Abs(now.ToUnixTimeSeconds() - (double)seconds) > window.TotalSeconds))
            return "the event batch is older (or further ahead) than the tolerance";
        byte[] der;
        try { der = Convert.FromBase64String(signature); }
        catch (FormatException) { return $"{SignatureHeader} is not base64"; }
        var prefix = Encoding.ASCII.GetBytes(timestamp);
        var message = new byte[prefix.Length + body.Length];
        prefix.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(prefix.Length));
        try
        {
            return _key.VerifyData(message, der, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence) ? null : "the signature does not verify";
        }
        catch (CryptographicException)
        {
            return "the signature is not a DER ECDSA signature";
        }
    }

    public void Dispose() => _key.Dispose();
}
