namespace IntegrationHub.Adapters.Notifications.Tests;

public sealed class RecipientsTests
{
    [Theory]
    [InlineData("0300 1234567", "PK", "+923001234567")]
    [InlineData("+92 300 1234567", "IN", "+923001234567")]
    [InlineData("98765 43210", "IN", "+919876543210")]
    [InlineData("0092-300-1234567", "PK", "+923001234567")]
    public void Phone_numbers_are_normalised_to_e164(string text, string region, string e164)
    {
        Assert.True(Recipients.TryPhone(text, region, out var normalised, out var problem), problem);
        Assert.Equal(e164, normalised);
    }

    [Theory]
    [InlineData("12345", "PK")]
    [InlineData("042 35761234", "PK")]   // a Lahore landline: SMS cannot reach it
    [InlineData("+999 1234567", "PK")]
    [InlineData("0300 1234567\u0000", "PK")]
    [InlineData("", "PK")]
    [InlineData("call me maybe", "PK")]
    public void Anything_but_a_mobile_number_is_refused_with_a_reason_that_repeats_no_digits(string text, string region)
    {
        Assert.False(Recipients.TryPhone(text, region, out _, out var problem));
        Assert.DoesNotContain("1234", problem);
    }

    [Theory]
    [InlineData("ayesha.khan@punjab.gov.pk", "ayesha.khan@punjab.gov.pk")]
    [InlineData("Ravi@Example.IN", "Ravi@example.in")]
    public void Email_addresses_are_checked(string text, string expected)
    {
        Assert.True(Recipients.TryEmail(text, out var address, out var problem), problem);
        Assert.Equal(expected, address);
    }

    [Theory]
    [InlineData("no-at-sign")]
    [InlineData("a@b")]
    [InlineData("a b@example.com")]
    [InlineData("Ayesha <a@example.com>")]
    [InlineData("a@example.com\r\nBcc: x@evil.example")]
    [InlineData("@example.com")]
    public void Anything_but_a_plain_address_is_refused(string text) => Assert.False(Recipients.TryEmail(text, out _, out _));

    [Fact]
    public void Masks_keep_nothing_that_identifies_the_recipient()
    {
        Assert.Equal("+92********67", Recipients.MaskPhone("+923001234567"));
        Assert.Equal("a***@punjab.gov.pk", Recipients.MaskEmail("ayesha.khan@punjab.gov.pk"));
    }
}

public sealed class TemplateTests
{
    static readonly NotificationTemplate Report = new(new Dictionary<string, TemplateText>
    {
        ["en"] = new("Dear {{ name }}, your report {{ report }} is ready.", "Report {{ report }}"),
        ["ur"] = new("محترم {{ name }}، آپ کی رپورٹ {{ report }} تیار ہے۔"),
        ["hi"] = new("प्रिय {{ name }}, आपकी रिपोर्ट {{ report }} तैयार है।"),
    }, fallbackLanguage: "en", maxSmsSegments: 2);

    static readonly Dictionary<string, object?> Data = new() { ["name"] = "Ayesha", ["report"] = "LAB-0440" };

    [Theory]
    [InlineData("en", "Dear Ayesha, your report LAB-0440 is ready.", SmsAlphabet.Gsm7)]
    [InlineData("ur", "محترم Ayesha، آپ کی رپورٹ LAB-0440 تیار ہے۔", SmsAlphabet.Ucs2)]
    [InlineData("hi", "प्रिय Ayesha, आपकी रिपोर्ट LAB-0440 तैयार है।", SmsAlphabet.Ucs2)]
    public void Renders_in_each_language_with_the_text_intact(string language, string expected, SmsAlphabet alphabet)
    {
        var text = Assert.IsType<Rendered.Text>(Report.Render(language, Data, sms: true));

        Assert.Equal(expected, text.Body); // right-to-left text as written: nothing encoded, nothing reordered
        Assert.Equal(alphabet, text.Sms!.Alphabet);
    }

    [Fact]
    public void A_language_without_a_text_falls_back()
    {
        var text = Assert.IsType<Rendered.Text>(Report.Render("pa", Data, sms: false));

        Assert.Equal("en", text.Language);
        Assert.Equal("Report LAB-0440", text.Subject);
    }

    [Fact]
    public void Missing_data_fails_before_anything_is_sent_naming_every_placeholder()
    {
        var refused = Assert.IsType<Rendered.Refused>(Report.Render("ur", new Dictionary<string, object?>(), sms: true));

        Assert.Equal(["the data has no 'name'", "the data has no 'report'"], refused.Problems);
    }

    [Fact]
    public void An_sms_beyond_the_templates_segments_is_refused()
    {
        var refused = Assert.IsType<Rendered.Refused>(Report.Render("ur", new Dictionary<string, object?> { ["name"] = new string('ا', 150), ["report"] = "X" }, sms: true));

        Assert.Contains(refused.Problems, p => p.Contains("segments (Ucs2), more than the template's 2"));
    }

    [Fact]
    public void Markup_in_the_data_is_not_interpreted()
    {
        var text = Assert.IsType<Rendered.Text>(Report.Render("en", new Dictionary<string, object?> { ["name"] = "{{ secret }}", ["report"] = "{% if x %}" }, sms: false));

        Assert.Equal("Dear {{ secret }}, your report {% if x %} is ready.", text.Body);
    }

    [Fact]
    public void A_template_with_a_syntax_error_says_where()
    {
        var broken = new NotificationTemplate(new Dictionary<string, TemplateText> { ["en"] = new("Dear {{ name ") }, "en");

        Assert.Single(broken.Problems());
        Assert.IsType<Rendered.Refused>(broken.Render("en", Data, sms: true));
    }
}
