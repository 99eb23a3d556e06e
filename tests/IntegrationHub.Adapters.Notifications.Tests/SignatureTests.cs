using System.Text;

namespace IntegrationHub.Adapters.Notifications.Tests;

/// <summary>Twilio's and SendGrid's callback signatures against formats.md §4's vectors, and what must not verify.</summary>
public sealed class SignatureTests
{
    static readonly Uri TwilioUrl = new("https://mycompany.com/myapp.php?foo=1&bar=2");
    static readonly KeyValuePair<string, string>[] TwilioForm =
    [
        new("CallSid", "CA1234567890ABCDE"), new("Caller", "+12349013030"), new("Digits", "1234"), new("From", "+12349013030"), new("To", "+18005551212"),
    ];
    const string TwilioExpected = "0/KCTR6DLpKmkAf8muzZqo1nDgQ=";

    [Fact]
    public void Twilio_signature_matches_the_vector()
    {
        Assert.Equal(TwilioExpected, TwilioSignature.Compute("12345", TwilioUrl.OriginalString, TwilioForm));
        Assert.Null(TwilioSignature.Problem(TwilioExpected, TwilioUrl, TwilioForm, ["12345"]));
        Assert.Null(TwilioSignature.Problem(TwilioExpected, TwilioUrl, [.. TwilioForm.Reverse()], ["12345"])); // the order posted does not matter
    }

    [Fact]
    public void Twilio_url_is_also_tried_with_its_default_port()
    {
        var signedWithPort = TwilioSignature.Compute("12345", "https://mycompany.com:443/myapp.php?foo=1&bar=2", TwilioForm);

        Assert.Null(TwilioSignature.Problem(signedWithPort, TwilioUrl, TwilioForm, ["12345"]));
    }

    public static TheoryData<string, string?, string, string> TwilioNegatives => new()
    {
        { "tampered parameter", TwilioExpected, "Digits", "1235" },
        { "added parameter", TwilioExpected, "Extra", "x" },
        { "wrong token", TwilioExpected, "", "" },
        { "no header", null, "", "" },
        { "not base64", "%%%", "", "" },
        { "another signature", "AAAAAAAAAAAAAAAAAAAAAAAAAAA=", "", "" },
    };

    [Theory]
    [MemberData(nameof(TwilioNegatives))]
    public void Twilio_refuses(string what, string? signature, string name, string value)
    {
        var form = TwilioForm.Where(p => p.Key != name).ToList();
        if (name.Length > 0) form.Add(new(name, value));

        Assert.NotNull(TwilioSignature.Problem(signature, TwilioUrl, form, [what == "wrong token" ? "54321" : "12345"]));
    }

    [Fact]
    public void Twilio_json_webhook_checks_its_body_hash()
    {
        var body = Encoding.UTF8.GetBytes("""{"MessageSid":"SM1","MessageStatus":"delivered"}""");
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(body));
        var url = new Uri($"https://hub.example/api/v1/notifications/callbacks/twilio/main?bodySHA256={hash}");
        var signature = TwilioSignature.Compute("token", url.OriginalString, []);

        Assert.Null(TwilioSignature.Problem(signature, url, [], ["token"], body));
        Assert.Equal("bodySHA256 does not match the body", TwilioSignature.Problem(signature, url, [], ["token"], [.. body, (byte)' ']));
    }

    const string SendGridKey = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==";
    const string SendGridTimestamp = "1588788367";
    const string SendGridSig = "MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0=";
    static readonly byte[] SendGridBody = Encoding.UTF8.GetBytes("""{"category":"example_payload","event":"test_event","message_id":"message_id"}""");

    [Fact]
    public void SendGrid_signature_matches_the_vector()
    {
        using var verifier = new SendGridSignature(SendGridKey);

        Assert.Null(verifier.Problem(SendGridSig, SendGridTimestamp, SendGridBody, DateTimeOffset.UtcNow, tolerance: null));
    }

    [Theory]
    [InlineData("CRLF appended")]
    [InlineData("another timestamp")]
    [InlineData("garbage signature")]
    [InlineData("not base64")]
    [InlineData("no headers")]
    [InlineData("stale")]
    public void SendGrid_refuses(string what)
    {
        using var verifier = new SendGridSignature(SendGridKey);
        var body = what == "CRLF appended" ? [.. SendGridBody, (byte)'\r', (byte)'\n'] : SendGridBody;
        var signature = what switch { "garbage signature" => "MEUCIQ" + new string('A', 90), "not base64" => "%%", "no headers" => null, _ => SendGridSig };
        var timestamp = what switch { "another timestamp" => "1588788368", "no headers" => null, _ => SendGridTimestamp };
        TimeSpan? tolerance = what == "stale" ? TimeSpan.FromMinutes(5) : null;

        Assert.NotNull(verifier.Problem(signature, timestamp, body, DateTimeOffset.UtcNow, tolerance));
    }

    [Fact]
    public void SendGrid_key_that_is_not_p256_is_refused_when_configured() =>
        Assert.Throws<ArgumentException>(() => new SendGridSignature(Convert.ToBase64String(Encoding.ASCII.GetBytes("not a key"))));
}
