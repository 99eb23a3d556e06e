using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto.Agreement;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Math.EC;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Utilities;
using Org.BouncyCastle.X509;

namespace IntegrationHub.Adapters.Abdm.Encryption;

/// <summary>
/// The curve and the key encodings ABDM's peers use: BouncyCastle's <c>curve25519</c> (Curve25519 in short-Weierstrass
/// form — not RFC 7748's X25519, whose 32-byte keys do not interoperate), public keys as the 65-byte uncompressed point
/// or an X.509 SubjectPublicKeyInfo with explicit parameters, private keys as Java's <c>BigInteger.toByteArray()</c>
/// (signed, so 33 bytes when the top bit is set).
/// </summary>
internal static class FideliusCurve
{
    public const int SecretBytes = 32;
    static readonly ECDomainParameters Domain = Create();

    /// <summary>
    /// BouncyCastle-Java's <c>CustomNamedCurves.getByName("curve25519")</c>, which BouncyCastle for .NET does not ship:
    /// p = 2^255 − 19 and the short-Weierstrass a, b and base point equivalent to Curve25519's Montgomery form, order n,
    /// cofactor 8 (the same parameters every X.509 key of fidelius-cli carries explicitly).
    /// </summary>
    static ECDomainParameters Create()
    {
        static BigInteger Hex(string hex) => new(hex, 16);
        var n = Hex("1000000000000000000000000000000014def9dea2f79cd65812631a5cf5d3ed");
        var h = BigInteger.ValueOf(8);
        var curve = new FpCurve(Hex("7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffed"),
            Hex("2aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa984914a144"),
            Hex("7b425ed097b425ed097b425ed097b425ed097b425ed097b4260b5e9c7710c864"), n, h);
        var g = curve.DecodePoint(Org.BouncyCastle.Utilities.Encoders.Hex.Decode(
            "042aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaad245a20ae19a1b8a086b4e01edd2c7748d14c923d4d7e6d7c61b229e9c5a27eced3d9"));
        return new ECDomainParameters(curve, g, n, h);
    }

    public static (ECPrivateKeyParameters Private, ECPublicKeyParameters Public) NewKeyPair()
    {
        var generator = new ECKeyPairGenerator();
        generator.Init(new ECKeyGenerationParameters(Domain, new SecureRandom()));
        var pair = generator.GenerateKeyPair();
        return ((ECPrivateKeyParameters)pair.Private, (ECPublicKeyParameters)pair.Public);
    }

    /// <summary>As Java's <c>BigInteger.toByteArray()</c>: what fidelius-cli prints.</summary>
    public static byte[] Encode(ECPrivateKeyParameters key) => key.D.ToByteArray();

    public static byte[] EncodeRaw(ECPublicKeyParameters key) => key.Q.GetEncoded(compressed: false);

    public static byte[] EncodeX509(ECPublicKeyParameters key) =>
        SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(key).GetEncoded();

    /// <summary>Unsigned big-endian, 1 to 33 bytes (a leading zero from Java's sign byte is fine), in [1, n-1].</summary>
    public static ECPrivateKeyParameters PrivateKey(byte[] bytes, string field)
    {
        if (bytes.Length is 0 or > SecretBytes + 1)
            throw new FideliusException(field, $"a private key is 32 bytes (33 with Java's sign byte), this one is {bytes.Length}");
        var d = new BigInteger(1, bytes);
        if (d.SignValue <= 0 || d.CompareTo(Domain.N) >= 0)
            throw new FideliusException(field, "the private key is not a number between 1 and the curve's order");
        return new ECPrivateKeyParameters(d, Domain);
    }

    /// <summary>The 65-byte point <c>04‖X‖Y</c>, or an X.509 SubjectPublicKeyInfo of a point on this curve.</summary>
    public static ECPublicKeyParameters PublicKey(byte[] bytes, string field)
    {
        ECPoint point;
        try
        {
            if (bytes.Length == 2 * SecretBytes + 1 && bytes[0] == 0x04)
                point = Point(bytes);
            else if (PublicKeyFactory.CreateKey(SubjectPublicKeyInfo.GetInstance(bytes)) is ECPublicKeyParameters x509)
            {
                if (!x509.Parameters.Curve.Equals(Domain.Curve) || !x509.Parameters.G.Equals(Domain.G))
                    throw new FideliusException(field, "the X.509 public key is on another curve than Curve25519 (Weierstrass form)");
                point = Point(x509.Q.GetEncoded(compressed: false));
            }
            else
                throw new FideliusException(field, "the X.509 public key is not an elliptic-curve key");
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException or IOException
                                      or SecurityUtilityException or InvalidCastException)
        {
            throw new FideliusException(field, "not a public key: expected the 65-byte uncompressed point (04‖X‖Y) or an X.509 SubjectPublicKeyInfo");
        }
        if (point.IsInfinity || !OnCurve(point))
            throw new FideliusException(field, "the public key is not a point on Curve25519 (Weierstrass form)");
        // Of small order (the cofactor is 8), it would agree on one of a few secrets whatever the private key.
        if (point.TimesPow2(3).IsInfinity)
            throw new FideliusException(field, "the public key is a point of small order: no shared secret can come of it");
        return new ECPublicKeyParameters(point, Domain);
    }

    /// <summary>y² = x³ + ax + b (mod p).</summary>
    static bool OnCurve(ECPoint point)
    {
        var normal = point.Normalize();
        ECFieldElement x = normal.AffineXCoord, y = normal.AffineYCoord;
        return y.Square().Equals(x.Square().Add(Domain.Curve.A).Multiply(x).Add(Domain.Curve.B));
    }

    /// <summary>
    /// 04‖X‖Y as a point, checked later for being on the curve and not of small order — not for order n, as
    /// <c>DecodePoint</c> would: that costs a scalar multiplication (the cofactor is 8), as much as the agreement itself.
    /// </summary>
    static ECPoint Point(byte[] uncompressed) => Domain.Curve.CreatePoint(new BigInteger(1, uncompressed, 1, SecretBytes),
        new BigInteger(1, uncompressed, 1 + SecretBytes, SecretBytes));

    /// <summary>The ECDH x-coordinate as a fixed 32 bytes, big-endian — also when its top byte is zero.</summary>
    public static byte[] SharedSecret(ECPrivateKeyParameters own, ECPublicKeyParameters peer, string peerField)
    {
        var agreement = new ECDHBasicAgreement();
        agreement.Init(own);
        try
        {
            return BigIntegers.AsUnsignedByteArray(SecretBytes, agreement.CalculateAgreement(peer));
        }
        catch (InvalidOperationException)
        {
            // A point of small order (the curve's cofactor is 8) agrees on nothing: refused, not used.
            throw new FideliusException(peerField, "the public key is a point of small order: no shared secret can come of it");
        }
    }

    public static ECPublicKeyParameters PublicOf(ECPrivateKeyParameters key) =>
        new(Domain.G.Multiply(key.D).Normalize(), Domain);
}
