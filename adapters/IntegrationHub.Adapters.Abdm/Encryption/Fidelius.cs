using System.Security.Cryptography;

namespace IntegrationHub.Adapters.Abdm.Encryption;

/// <summary>One side's key material, as fidelius-cli's <c>generate-key-material</c> prints it (all base64).</summary>
public sealed record FideliusKeyMaterial(string PrivateKey, string PublicKey, string X509PublicKey, string Nonce);

/// <summary>
/// ABDM's "Fidelius" encryption of health data between a sender (the HIP) and a requester (the HIU), compatible with
/// NHA's fidelius-cli: ECDH on Curve25519 (Weierstrass form, <see cref="FideliusCurve"/>), the shared secret as a fixed
/// 32-byte x-coordinate; <c>x = senderNonce XOR requesterNonce</c>, salt = its first 20 bytes, IV = its last 12;
/// key = HKDF-SHA256(secret, salt, no info), 32 bytes; AES-256-GCM with a 128-bit tag and no associated data; the
/// result base64(ciphertext‖tag). Every input is checked and refused with a <see cref="FideliusException"/> naming it;
/// nothing here logs or keeps what it encrypts.
/// </summary>
public static class Fidelius
{
    public const int NonceBytes = 32;
    const int SaltBytes = 20;
    const int IvBytes = 12;
    const int KeyBytes = 32;

    /// <summary>A new ephemeral key pair and nonce: one per transfer and side.</summary>
    public static FideliusKeyMaterial GenerateKeyMaterial()
    {
        var (privateKey, publicKey) = FideliusCurve.NewKeyPair();
        return new FideliusKeyMaterial(Convert.ToBase64String(FideliusCurve.Encode(privateKey)), Convert.ToBase64String(FideliusCurve.EncodeRaw(publicKey)),
            Convert.ToBase64String(FideliusCurve.EncodeX509(publicKey)), Convert.ToBase64String(RandomNumberGenerator.GetBytes(NonceBytes)));
    }

    /// <summary>The sender's side (fidelius-cli <c>encrypt</c>): base64 of ciphertext‖tag.</summary>
    public static string Encrypt(ReadOnlySpan<byte> plaintext, string senderNonce, string requesterNonce, string senderPrivateKey, string requesterPublicKey) =>
        SenderKey(senderNonce, requesterNonce, senderPrivateKey, requesterPublicKey).Seal(plaintext);

    /// <summary>The requester's side (fidelius-cli <c>decrypt</c>): the plaintext, once the GCM tag proves it unaltered.</summary>
    public static byte[] Decrypt(string encryptedData, string requesterNonce, string senderNonce, string requesterPrivateKey, string senderPublicKey)
    {
        var data = FideliusKey.Ciphertext(encryptedData);
        return RequesterKey(requesterNonce, senderNonce, requesterPrivateKey, senderPublicKey).Open(data);
    }

    /// <summary>The sender's key for one transfer (the key agreement and derivation, done once): <see cref="FideliusKey.Seal"/> encrypts.</summary>
    public static FideliusKey SenderKey(string senderNonce, string requesterNonce, string senderPrivateKey, string requesterPublicKey) =>
        Key(senderNonce, requesterNonce, "senderNonce", "requesterNonce", senderPrivateKey, "senderPrivateKey", requesterPublicKey, "requesterPublicKey");

    /// <summary>The requester's key for one transfer: <see cref="FideliusKey.Open(string)"/> decrypts.</summary>
    public static FideliusKey RequesterKey(string requesterNonce, string senderNonce, string requesterPrivateKey, string senderPublicKey) =>
        Key(senderNonce, requesterNonce, "senderNonce", "requesterNonce", requesterPrivateKey, "requesterPrivateKey", senderPublicKey, "senderPublicKey");

    /// <summary>A data push's <c>checksum</c>: MD5 of the content before encryption, base64 (as ABDM's reference HIP sends it).</summary>
    public static string Checksum(ReadOnlySpan<byte> plaintext) => Convert.ToBase64String(MD5.HashData(plaintext));

    /// <summary>The AES key and IV both sides derive: the order of the nonces does not matter (XOR).</summary>
    static FideliusKey Key(string senderNonce, string requesterNonce, string senderNonceField, string requesterNonceField, string ownPrivateKey,
        string privateField, string peerPublicKey, string publicField)
    {
        // Every field's problem at once, so that one run of hubctl says all that is wrong.
        var problems = new List<FideliusException>();
        T? Read<T>(Func<T> read) where T : class
        {
            try
            {
                return read();
            }
            catch (FideliusException e)
            {
                problems.Add(e);
                return null;
            }
        }
        var a = Read(() => Nonce(senderNonce, senderNonceField));
        var b = Read(() => Nonce(requesterNonce, requesterNonceField));
        var own = Read(() => FideliusCurve.PrivateKey(Base64(ownPrivateKey, privateField), privateField));
        var peer = Read(() => FideliusCurve.PublicKey(Base64(peerPublicKey, publicField), publicField));
        if (problems.Count > 0)
            throw problems.Count == 1 ? problems[0] : new FideliusException(problems);

        var secret = FideliusCurve.SharedSecret(own!, peer!, publicField);
        var x = new byte[NonceBytes];
        for (var i = 0; i < NonceBytes; i++) x[i] = (byte)(a![i] ^ b![i]);
        return new FideliusKey(HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, KeyBytes, x[..SaltBytes], []), x[^IvBytes..]);
    }

    static byte[] Nonce(string text, string field)
    {
        var nonce = Base64(text, field);
        return nonce.Length == NonceBytes ? nonce : throw new FideliusException(field, $"a nonce is {NonceBytes} bytes, this one is {nonce.Length}");
    }

    internal static byte[] Base64(string? text, string field)
    {
        if (string.IsNullOrWhiteSpace(text))
            throw new FideliusException(field, "missing");
        var trimmed = text.AsSpan().Trim();
        // Into an array of the exact size: the span decoder is about twice as fast as FromBase64String on large data.
        var padding = trimmed.Length > 0 && trimmed[^1] == '=' ? trimmed.Length > 1 && trimmed[^2] == '=' ? 2 : 1 : 0;
        var bytes = new byte[Math.Max(0, trimmed.Length / 4 * 3 - padding)];
        if (trimmed.Length % 4 == 0 && Convert.TryFromBase64Chars(trimmed, bytes, out var written) && written == bytes.Length)
            return bytes;
        try
        {
            return Convert.FromBase64String(text.Trim()); // base64 with whitespace inside, which the fast path does not take
        }
        catch (FormatException)
        {
            throw new FideliusException(field, "not base64");
        }
    }
}

/// <summary>
/// The AES-256-GCM key and IV of one transfer, derived from the key agreement and the nonces: what encrypts and
/// decrypts the bulk. ABDM encrypts every entry of a transfer with the same key material, so the same key and IV.
/// </summary>
public sealed class FideliusKey
{
    const int TagBytes = 16;
    readonly byte[] _key;
    readonly byte[] _iv;

    internal FideliusKey(byte[] key, byte[] iv) => (_key, _iv) = (key, iv);

    /// <summary>base64(ciphertext‖tag).</summary>
    public string Seal(ReadOnlySpan<byte> plaintext)
    {
        var output = new byte[plaintext.Length + TagBytes];
        using var aes = new AesGcm(_key, TagBytes);
        aes.Encrypt(_iv, plaintext, output.AsSpan(0, plaintext.Length), output.AsSpan(plaintext.Length));
        return Convert.ToBase64String(output);
    }

    public byte[] Open(string encryptedData) => Open(Ciphertext(encryptedData));

    internal byte[] Open(byte[] data)
    {
        var plaintext = new byte[data.Length - TagBytes];
        using var aes = new AesGcm(_key, TagBytes);
        try
        {
            aes.Decrypt(_iv, data.AsSpan(0, plaintext.Length), data.AsSpan(plaintext.Length), plaintext);
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new FideliusException("encryptedData",
                "the authentication tag does not match: the data was altered, or the keys or nonces are not the ones it was encrypted with");
        }
        return plaintext;
    }

    internal static byte[] Ciphertext(string encryptedData)
    {
        var data = Fidelius.Base64(encryptedData, "encryptedData");
        return data.Length >= TagBytes ? data
            : throw new FideliusException("encryptedData", $"shorter than the {TagBytes}-byte authentication tag: not Fidelius data");
    }
}

/// <summary>Fidelius input that cannot be used, naming the field(s) at fault; never their values.</summary>
public sealed class FideliusException : Exception
{
    public FideliusException(string field, string problem) : base($"{field}: {problem}") => Fields = [field];

    public FideliusException(IReadOnlyList<FideliusException> problems) : base(string.Join("; ", problems.Select(p => p.Message))) =>
        Fields = [.. problems.SelectMany(p => p.Fields)];

    public IReadOnlyList<string> Fields { get; }
}
