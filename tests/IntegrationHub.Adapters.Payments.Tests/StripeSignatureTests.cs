using System.Text;
using IntegrationHub.Adapters.Stripe;

namespace IntegrationHub.Adapters.Payments.Tests;

/// <summary>Stripe-Signature against docs/formats.md's self-computed vector, and what must not verify.</summary>
public sealed class StripeSignatureTests
{
    const string Secret = "whsec_test_secret";
    const long T = 1700000000;
    static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"id":"evt_1","object":"event","type":"payment_intent.succeeded"}""");
    const string Expected = "67da5088c63e080c71bd2bb0cb5c03d85a8fc6a21ce3aaf484df809654745b92";
    static readonly DateTimeOffset At = DateTimeOffset.FromUnixTimeSeconds(T);

    static string? Problem(string? header, byte[]? body = null, DateTimeOffset? now = null, params string[] secrets) =>
        StripeSignature.Problem(header, body ?? Body, secrets.Length > 0 ? secrets : [Secret], now ?? At, StripeSignature.DefaultTolerance);

    [Fact]
    public void Signature_matches_the_vector() => Assert.Equal(Expected, StripeSignature.Compute(Secret, T, Body));

    [Theory]
    [InlineData("t=1700000000,v1=" + Expected)]
    [InlineData("t=1700000000,v1=0000000000000000000000000000000000000000000000000000000000000000,v1=" + Expected)]
    [InlineData("t=1700000000,v0=abc,v1=" + Expected + ",v2=future")]
    [InlineData(" t=1700000000 , v1=" + Expected)]
    public void Header_with_a_matching_v1_verifies(string header) => Assert.Null(Problem(header));

    [Fact]
    public void Old_secret_during_rotation_still_verifies() => Assert.Null(Problem("t=1700000000,v1=" + Expected, secrets: ["whsec_new", Secret]));

    [Theory]
    [InlineData(-301, "older")]
    [InlineData(301, "further ahead")]
    public void Timestamp_beyond_the_tolerance_is_refused(int seconds, string reason) =>
        Assert.Contains(reason, Problem("t=1700000000,v1=" + Expected, now: At.AddSeconds(-seconds)));

    [Theory]
    [InlineData(299)]
    [InlineData(-299)]
    public void Timestamp_within_the_tolerance_verifies(int seconds) => Assert.Null(Problem("t=1700000000,v1=" + Expected, now: At.AddSeconds(seconds)));

    [Fact]
    public void Tampered_body_is_refused() =>
        Assert.NotNull(Problem("t=1700000000,v1=" + Expected, Encoding.UTF8.GetBytes("""{"id":"evt_1","object":"event","type":"payment_intent.succeeded "}""")));

    [Fact]
    public void Re_serialised_json_is_refused()
    {
        var reserialised = Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(System.Text.Json.JsonDocument.Parse(Body).RootElement,
            new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        Assert.NotNull(Problem("t=1700000000,v1=" + Expected, reserialised));
    }

    [Fact]
    public void Wrong_secret_is_refused() => Assert.Contains("matches", Problem("t=1700000000,v1=" + Expected, secrets: ["whsec_other"]));

    [Fact]
    public void Signature_moved_to_another_timestamp_is_refused() =>
        Assert.NotNull(Problem("t=1700000001,v1=" + Expected, now: At));

    [Theory]
    [InlineData(null, "no Stripe-Signature")]
    [InlineData("", "no Stripe-Signature")]
    [InlineData("v1=" + Expected, "no timestamp")]
    [InlineData("t=1700000000", "no v1")]
    [InlineData("t=1700000000,v0=" + Expected, "no v1")]
    [InlineData("t=1700000000,v1=XYZ", "no v1")]
    [InlineData("t=abc,v1=" + Expected, "timestamp")]
    [InlineData("t=-5,v1=" + Expected, "timestamp")]
    [InlineData("t=1700000000,t=1700000000,v1=" + Expected, "single")]
    [InlineData("t=99999999999999999999999999,v1=" + Expected, "timestamp")]
    [InlineData("t=9223372036854775807,v1=" + Expected, "further ahead")]
    [InlineData("garbage\0with NUL", "no timestamp")]
    public void Malformed_header_is_refused_with_a_reason(string? header, string reason) => Assert.Contains(reason, Problem(header));

    [Fact]
    public void Huge_header_is_refused_before_it_is_parsed() =>
        Assert.Contains("longer", Problem("t=1700000000," + string.Concat(Enumerable.Repeat("v1=" + Expected + ",", 200))));
}
