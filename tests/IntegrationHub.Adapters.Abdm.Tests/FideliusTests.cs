using System.Security.Cryptography;
using System.Text;
using IntegrationHub.Adapters.Abdm.Encryption;

namespace IntegrationHub.Adapters.Abdm.Tests;

/// <summary>
/// Fidelius as ABDM's peers do it: the vector published in NHA's fidelius-cli README (mgrmtech/fidelius-cli), both
/// public-key encodings, Java's 33-byte private keys, shared secrets with a zero top byte, and what is refused.
/// </summary>
public sealed class FideliusTests
{
    // fidelius-cli README: the requester's and the sender's key material, and the sender's ciphertext.
    const string RequesterPrivateKey = "DMxHPri8d7IT23KgLk281zZenMfVHSdeamq0RhwlIBk=";
    const string RequesterPublicKey = "BAheD5rUqTy4V5xR4/6HWmYpopu5CO+KO8BECS0udNqUTSNo91TIqIIy1A4Vh+F94c+n9vAcwXU2bGcfsI5f69Y=";
    const string RequesterNonce = "6uj1RdDUbcpI3lVMZvijkMC8Te20O4Bcyz0SyivX8Eg=";
    const string SenderPrivateKey = "AYhVZpbVeX4KS5Qm/W0+9Ye2q3rnVVGmqRICmseWni4=";
    const string SenderPublicKey = "BABVt+mpRLMXiQpIfEq6bj8hlXsdtXIxLsspmMgLNI1SR5mHgDVbjHO2A+U4QlMddGzqyEidzm1AkhtSxSO2Ahg=";
    const string SenderX509PublicKey = "MIIBMTCB6gYHKoZIzj0CATCB3gIBATArBgcqhkjOPQEBAiB/////////////////////////////////////////7TBEBCAqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqYSRShRAQge0Je0Je0Je0Je0Je0Je0Je0Je0Je0Je0JgtenHcQyGQEQQQqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq0kWiCuGaG4oIa04B7dLHdI0UySPU1+bXxhsinpxaJ+ztPZAiAQAAAAAAAAAAAAAAAAAAAAFN753qL3nNZYEmMaXPXT7QIBCANCAAQAVbfpqUSzF4kKSHxKum4/IZV7HbVyMS7LKZjICzSNUkeZh4A1W4xztgPlOEJTHXRs6shInc5tQJIbUsUjtgIY";
    const string SenderNonce = "lmXgblZwotx+DfBgKJF0lZXtAXgBEYr5khh79Zytr2Y=";
    const string Ciphertext = "pzMvVZNNVtJzqPkkxcCbBUWgDEBy/mBXIeT2dJWI16ZAQnnXUb9lI+S4k8XK6mgZSKKSRIHkcNvJpllnBg548wUgavBa0vCRRwdL6kY6Yw==";
    // What the ciphertext holds: the README's encrypt example shows the sentence with "the"; its ciphertext decrypts to this one.
    const string Plaintext = "Wormtail should never have been Potter cottage's secret keeper.";

    [Theory]
    [InlineData(SenderPublicKey)]
    [InlineData(SenderX509PublicKey)]
    public void The_published_fidelius_cli_ciphertext_decrypts_with_either_encoding_of_the_senders_key(string senderKey)
    {
        var plaintext = Fidelius.Decrypt(Ciphertext, RequesterNonce, SenderNonce, RequesterPrivateKey, senderKey);

        Assert.Equal(Plaintext, Encoding.UTF8.GetString(plaintext));
    }

    [Fact]
    public void The_published_public_keys_are_the_ones_their_private_keys_make()
    {
        Assert.Equal(RequesterPublicKey, PublicOf(RequesterPrivateKey));
        Assert.Equal(SenderPublicKey, PublicOf(SenderPrivateKey));
    }

    static string PublicOf(string privateKey) => Convert.ToBase64String(FideliusCurve.EncodeRaw(
        FideliusCurve.PublicOf(FideliusCurve.PrivateKey(Convert.FromBase64String(privateKey), "key"))));

    [Fact]
    public void Encrypting_the_published_plaintext_with_the_published_keys_gives_the_published_ciphertext()
    {
        var encrypted = Fidelius.Encrypt(Encoding.UTF8.GetBytes(Plaintext), SenderNonce, RequesterNonce, SenderPrivateKey, RequesterPublicKey);

        Assert.Equal(Ciphertext, encrypted);
    }

    [Fact]
    public void Generated_key_material_round_trips_with_raw_and_X509_public_keys()
    {
        var requester = Fidelius.GenerateKeyMaterial();
        var sender = Fidelius.GenerateKeyMaterial();
        var bundle = RandomNumberGenerator.GetBytes(10_000);

        Assert.Equal(88, requester.PublicKey.Length);
        Assert.Equal(412, requester.X509PublicKey.Length);
        foreach (var (requesterKey, senderKey) in new[] { (requester.PublicKey, sender.X509PublicKey), (requester.X509PublicKey, sender.PublicKey) })
        {
            var encrypted = Fidelius.Encrypt(bundle, sender.Nonce, requester.Nonce, sender.PrivateKey, requesterKey);
            Assert.Equal(bundle, Fidelius.Decrypt(encrypted, requester.Nonce, sender.Nonce, requester.PrivateKey, senderKey));
        }
    }

    [Fact]
    public void A_private_key_with_Javas_sign_byte_is_the_same_key()
    {
        var withSignByte = Convert.ToBase64String([0x00, .. Convert.FromBase64String(RequesterPrivateKey)]);

        Assert.Equal(Plaintext, Encoding.UTF8.GetString(Fidelius.Decrypt(Ciphertext, RequesterNonce, SenderNonce, withSignByte, SenderPublicKey)));
    }

    [Fact]
    public void Generated_private_keys_are_written_as_Javas_BigInteger_writes_them_signed_and_minimal()
    {
        // The order is below 2^253, so a key's top bit is never set: Java writes 32 bytes or fewer, never a sign byte.
        var keys = Enumerable.Range(0, 64).Select(_ => Convert.FromBase64String(Fidelius.GenerateKeyMaterial().PrivateKey)).ToList();

        Assert.All(keys, k => Assert.InRange(k.Length, 1, 32));
        Assert.All(keys, k => Assert.True((k[0] & 0x80) == 0 && (k.Length == 1 || k[0] != 0 || (k[1] & 0x80) != 0), "signed, minimal"));
    }

    [Fact]
    public void Shared_secrets_whose_top_byte_is_zero_keep_all_32_bytes()
    {
        // About one pair in 256 agrees on an x-coordinate below 2^248; search until one is found.
        var requester = FideliusCurve.NewKeyPair();
        (Org.BouncyCastle.Crypto.Parameters.ECPrivateKeyParameters Private, Org.BouncyCastle.Crypto.Parameters.ECPublicKeyParameters Public) sender;
        byte[] secret;
        var tries = 0;
        do
        {
            sender = FideliusCurve.NewKeyPair();
            secret = FideliusCurve.SharedSecret(requester.Private, sender.Public, "peer");
            Assert.True(++tries < 20_000, "no shared secret with a zero top byte in 20000 pairs");
        } while (secret[0] != 0);

        Assert.Equal(32, secret.Length);
        Assert.Equal(secret, FideliusCurve.SharedSecret(sender.Private, requester.Public, "peer"));
        var requesterNonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var senderNonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var encrypted = Fidelius.Encrypt("zero top byte"u8, senderNonce, requesterNonce, Convert.ToBase64String(FideliusCurve.Encode(sender.Private)),
            Convert.ToBase64String(FideliusCurve.EncodeRaw(requester.Public)));
        Assert.Equal("zero top byte"u8.ToArray(), Fidelius.Decrypt(encrypted, requesterNonce, senderNonce,
            Convert.ToBase64String(FideliusCurve.Encode(requester.Private)), Convert.ToBase64String(FideliusCurve.EncodeX509(sender.Public))));
    }

    [Theory]
    [InlineData(0)]   // the first ciphertext byte
    [InlineData(-1)]  // the last tag byte
    public void Tampered_ciphertext_or_tag_is_refused(int index)
    {
        var data = Convert.FromBase64String(Ciphertext);
        data[index < 0 ? data.Length + index : index] ^= 0x01;

        var refused = Assert.Throws<FideliusException>(() =>
            Fidelius.Decrypt(Convert.ToBase64String(data), RequesterNonce, SenderNonce, RequesterPrivateKey, SenderPublicKey));
        Assert.Contains("authentication tag does not match", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_wrong_nonce_or_key_is_refused_by_the_tag()
    {
        var other = Fidelius.GenerateKeyMaterial();

        Assert.Throws<FideliusException>(() => Fidelius.Decrypt(Ciphertext, other.Nonce, SenderNonce, RequesterPrivateKey, SenderPublicKey));
        Assert.Throws<FideliusException>(() => Fidelius.Decrypt(Ciphertext, RequesterNonce, SenderNonce, other.PrivateKey, SenderPublicKey));
    }

    [Fact]
    public void Every_unusable_input_is_named_at_once_without_its_value()
    {
        var refused = Assert.Throws<FideliusException>(() => Fidelius.Decrypt(Ciphertext, "not-base64!", "AAAA", "", "BAAA"));

        Assert.Equal(["senderNonce", "requesterNonce", "requesterPrivateKey", "senderPublicKey"], refused.Fields.Order(StringComparer.Ordinal).Reverse().OrderBy(f => f switch
        {
            "senderNonce" => 0, "requesterNonce" => 1, "requesterPrivateKey" => 2, _ => 3,
        }));
        Assert.Contains("requesterNonce: not base64", refused.Message, StringComparison.Ordinal);
        Assert.Contains("senderNonce: a nonce is 32 bytes, this one is 3", refused.Message, StringComparison.Ordinal);
        Assert.Contains("requesterPrivateKey: missing", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-base64!", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_point_off_the_curve_or_of_another_encoding_is_refused_as_a_public_key()
    {
        var raw = Convert.FromBase64String(SenderPublicKey);
        raw[^1] ^= 0x01; // Y no longer matches X
        var offCurve = Assert.Throws<FideliusException>(() =>
            Fidelius.Decrypt(Ciphertext, RequesterNonce, SenderNonce, RequesterPrivateKey, Convert.ToBase64String(raw)));
        Assert.StartsWith("senderPublicKey:", offCurve.Message, StringComparison.Ordinal);

        // An RFC 7748 X25519 key (32 raw bytes) is a different scheme.
        var x25519 = Assert.Throws<FideliusException>(() =>
            Fidelius.Decrypt(Ciphertext, RequesterNonce, SenderNonce, RequesterPrivateKey, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))));
        Assert.Contains("65-byte uncompressed point", x25519.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_point_of_small_order_is_refused_before_any_agreement()
    {
        // (A/3, 0): Montgomery's (0, 0) in Weierstrass form, of order 2 — on the curve, but it would fix the secret.
        const string OrderTwo = "BCqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqrSRRAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

        var refused = Assert.Throws<FideliusException>(() =>
            Fidelius.Encrypt("x"u8, SenderNonce, RequesterNonce, SenderPrivateKey, OrderTwo));
        Assert.Contains("small order", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void One_derived_key_seals_and_opens_like_encrypt_and_decrypt()
    {
        var sealedText = Fidelius.SenderKey(SenderNonce, RequesterNonce, SenderPrivateKey, RequesterPublicKey).Seal(Encoding.UTF8.GetBytes(Plaintext));

        Assert.Equal(Ciphertext, sealedText);
        Assert.Equal(Plaintext, Encoding.UTF8.GetString(
            Fidelius.RequesterKey(RequesterNonce, SenderNonce, RequesterPrivateKey, SenderX509PublicKey).Open(sealedText)));
    }

    [Fact]
    public void A_private_key_of_the_wrong_size_or_zero_is_refused()
    {
        foreach (var key in new[] { new byte[40], new byte[32] })
        {
            var refused = Assert.Throws<FideliusException>(() =>
                Fidelius.Decrypt(Ciphertext, RequesterNonce, SenderNonce, Convert.ToBase64String(key), SenderPublicKey));
            Assert.Equal(["requesterPrivateKey"], refused.Fields);
        }
    }

    [Fact]
    public void The_checksum_is_the_base64_MD5_of_the_plaintext()
    {
        Assert.Equal(Convert.ToBase64String(MD5.HashData(Encoding.UTF8.GetBytes(Plaintext))), Fidelius.Checksum(Encoding.UTF8.GetBytes(Plaintext)));
    }
}
