using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Payments.Development;
using IntegrationHub.Payments.Ledger;
using IntegrationHub.Payments.Receipts;
using Microsoft.Playwright;

namespace IntegrationHub.Payments.Tests;

/// <summary>The labels as a reader of each language expects them, written here on their own (not read from the renderer).</summary>
static class ReceiptLabels
{
    public static readonly string[] English = ["Receipt", "Receipt number", "Date", "Paid by", "Bill reference", "Item", "Amount", "Total", "Paid through"];
    public static readonly string[] Urdu = ["رسید", "رسید نمبر", "تاریخ", "ادا کنندہ", "بل کا حوالہ", "تفصیل", "رقم", "کل رقم", "ادائیگی بذریعہ"];
    public static readonly string[] Hindi = ["रसीद", "रसीद संख्या", "दिनांक", "भुगतानकर्ता", "बिल संदर्भ", "विवरण", "राशि", "कुल राशि", "भुगतान माध्यम"];

    public static string[] Of(string language) => language switch
    {
        ReceiptPage.English => English,
        ReceiptPage.Urdu => Urdu,
        ReceiptPage.Hindi => Hindi,
        _ => throw new ArgumentOutOfRangeException(nameof(language)),
    };

    /// <summary>The page's elements that hold the labels, in the order of <see cref="English"/>.</summary>
    public static readonly string[] Elements =
    [
        "#label-receipt", "#label-receipt-number", "#label-date", "#label-paid-by", "#label-bill-reference", "#label-item", "#label-amount",
        "#label-total", "#label-paid-through",
    ];

    public const string Number = "REVENUE-2026-27-000042";

    public static ReceiptRow Receipt(string? payer = "Ayesha Khan", IReadOnlyList<BillItem>? items = null, long amountMinor = 250000, string currency = "PKR",
        DateTimeOffset? issuedAt = null) =>
        new("revenue", "2026-27", 42, Number, "pay_0123456789abcdef", "bil_0123456789abcdef", "CH123456", amountMinor, currency, "stripe", payer,
            items ?? [new BillItem("Driving licence renewal", 200000), new BillItem("Late fee", 50000)],
            issuedAt ?? new DateTimeOffset(2026, 7, 1, 20, 30, 0, TimeSpan.Zero));

    public static readonly TimeZoneInfo Karachi = TimeZoneInfo.FindSystemTimeZoneById("Asia/Karachi");
}

/// <summary>The receipt page as HTML text: languages, directions, amounts, dates, encoding of the departments' text.</summary>
public sealed class ReceiptPageTests
{
    static string Render(string language, ReceiptRow? receipt = null, TimeZoneInfo? zone = null) =>
        ReceiptPage.Render(receipt ?? ReceiptLabels.Receipt(), language, zone ?? ReceiptLabels.Karachi);

    [Theory]
    [InlineData("en", "ltr")]
    [InlineData("ur", "rtl")]
    [InlineData("hi", "ltr")]
    public void ReceiptPage_is_a_complete_document_in_its_language_and_direction(string language, string direction)
    {
        var html = Render(language);

        Assert.StartsWith("<!DOCTYPE html>\n", html);
        Assert.Contains($"<html lang=\"{language}\" dir=\"{direction}\">", html);
        Assert.Contains("<meta charset=\"utf-8\">", html);
        Assert.EndsWith("</html>\n", html);
        Assert.Equal(direction, ReceiptPage.DirectionOf(language));
        var labels = ReceiptLabels.Of(language);
        for (var i = 0; i < labels.Length; i++)
            Assert.Contains($"id=\"{ReceiptLabels.Elements[i][1..]}\">{labels[i]}</", html);
        Assert.Contains($"<title>{labels[0]} {ReceiptLabels.Number}</title>", html);
    }

    [Fact]
    public void ReceiptPage_labels_are_the_languages_own_letters()
    {
        Assert.Equal(ReceiptLabels.Urdu, Labels(ReceiptPage.Urdu));
        Assert.Equal(ReceiptLabels.Hindi, Labels(ReceiptPage.Hindi));
        Assert.Equal(ReceiptLabels.English, Labels(ReceiptPage.English));
        // Urdu is written with ی ک ہ, not the Arabic ي ك ه that look alike in some fonts; nothing but Arabic script and spaces.
        foreach (var label in ReceiptLabels.Urdu)
        {
            Assert.DoesNotContain(label, c => c is '\u064A' or '\u0643' or '\u0647');
            Assert.All(label, c => Assert.True(c == ' ' || c is >= '\u0600' and <= '\u06FF', $"U+{(int)c:X4} in '{label}'"));
        }
        foreach (var label in ReceiptLabels.Hindi)
            Assert.All(label, c => Assert.True(c == ' ' || c is >= '\u0900' and <= '\u097F', $"U+{(int)c:X4} in '{label}'"));

        static string[] Labels(string language) => ReceiptPage.LabelsOf(language) is var l
            ? [l.Receipt, l.ReceiptNumber, l.Date, l.PaidBy, l.BillReference, l.Item, l.Amount, l.Total, l.PaidThrough]
            : [];
    }

    [Theory]
    [InlineData("en")]
    [InlineData("ur")]
    [InlineData("hi")]
    public void ReceiptPage_amounts_carry_the_currency_in_western_digits_left_to_right(string language)
    {
        var html = Render(language);

        Assert.Contains("<bdi dir=\"ltr\" class=\"ltr money\"><span class=\"value\">2000.00</span> <span class=\"currency\">PKR</span></bdi>", html);
        Assert.Contains("<bdi dir=\"ltr\" class=\"ltr money\"><span class=\"value\">500.00</span> <span class=\"currency\">PKR</span></bdi>", html);
        Assert.Contains("<bdi dir=\"ltr\" class=\"ltr money\" id=\"total\"><span class=\"value\">2500.00</span> <span class=\"currency\">PKR</span></bdi>", html);
        Assert.Contains($"<bdi dir=\"ltr\" class=\"ltr\" id=\"receipt-number\">{ReceiptLabels.Number}</bdi>", html);
        Assert.Contains("<bdi dir=\"ltr\" class=\"ltr\" id=\"bill-reference\">CH123456</bdi>", html);
        Assert.Contains("<bdi dir=\"ltr\" class=\"ltr\" id=\"gateway\">Stripe</bdi>", html);
        // No Arabic-Indic, Extended Arabic-Indic (Urdu) or Devanagari digits anywhere.
        Assert.DoesNotContain(html, c => c is >= '\u0660' and <= '\u0669' or >= '\u06F0' and <= '\u06F9' or >= '\u0966' and <= '\u096F');
    }

    [Fact]
    public void ReceiptPage_amounts_have_the_currencys_own_digits()
    {
        var yen = Render("en", ReceiptLabels.Receipt(items: [new BillItem("Fee", 300)], amountMinor: 300, currency: "JPY"));
        var dollars = Render("en", ReceiptLabels.Receipt(items: [new BillItem("Fee", 5)], amountMinor: 5, currency: "USD"));

        Assert.Contains("id=\"total\"><span class=\"value\">300</span> <span class=\"currency\">JPY</span>", yen);
        Assert.Contains("id=\"total\"><span class=\"value\">0.05</span> <span class=\"currency\">USD</span>", dollars);
    }

    [Fact]
    public void ReceiptPage_dates_are_in_the_departments_time_zone()
    {
        var at = new DateTimeOffset(2026, 7, 1, 20, 30, 0, TimeSpan.Zero);

        var karachi = Render("ur", ReceiptLabels.Receipt(issuedAt: at), ReceiptLabels.Karachi);
        var kolkata = Render("hi", ReceiptLabels.Receipt(issuedAt: at), TimeZoneInfo.FindSystemTimeZoneById("Asia/Kolkata"));

        Assert.Contains("<time datetime=\"2026-07-02T01:30:00+05:00\">2026-07-02 01:30 UTC+05:00</time>", karachi);
        Assert.Contains("<time datetime=\"2026-07-02T02:00:00+05:30\">2026-07-02 02:00 UTC+05:30</time>", kolkata);
    }

    [Theory]
    [InlineData("en")]
    [InlineData("ur")]
    [InlineData("hi")]
    public void ReceiptPage_encodes_the_departments_text(string language)
    {
        var receipt = ReceiptLabels.Receipt(payer: "<img src=x onerror=alert(1)> O'Brien & \"Sons\"",
            items: [new BillItem("<script>alert('x')</script>", 100), new BillItem("</td></tr></table><a href=\"https://evil.example\">win</a>", 200)],
            amountMinor: 300) with { BillReference = "<b>REF</b>", Department = "<i>dept</i>" };

        var html = Render(language, receipt);

        Assert.Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;", html);
        Assert.Contains("&lt;img src=x onerror=alert(1)&gt; O&#39;Brien &amp; &quot;Sons&quot;", html);
        Assert.Contains("&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;a href=&quot;https://evil.example&quot;&gt;win&lt;/a&gt;", html);
        Assert.Contains("&lt;b&gt;REF&lt;/b&gt;", html);
        Assert.Contains("&lt;i&gt;dept&lt;/i&gt;", html);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<a ", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<b>", html, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(1, Count(html, "<table")); // the hostile description closed no table of ours
        Assert.Equal(1, Count(html, "</table>"));
    }

    [Fact]
    public void ReceiptPage_isolates_the_departments_text_from_the_page_direction()
    {
        // A right-to-left override in a payer's name must end with the name: each piece of department text is its own <bdi>.
        var html = Render("ur", ReceiptLabels.Receipt(payer: "\u202EAyesha", items: [new BillItem("Fee \u202Bx", 250000)]));

        Assert.Contains("<bdi id=\"payer\">\u202EAyesha</bdi>", html);
        Assert.Contains("<td><bdi>Fee \u202Bx</bdi></td>", html);
    }

    [Theory]
    [InlineData("en")]
    [InlineData("ur")]
    [InlineData("hi")]
    public void ReceiptPage_loads_nothing_and_runs_nothing(string language)
    {
        var html = Render(language);

        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("src=", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("href=", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("url(", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("@import", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("http", html.Replace("http-equiv", ""), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(" on", html.Split("<style>")[0] + html.Split("</style>")[1], StringComparison.OrdinalIgnoreCase); // no onload= etc.
        Assert.Contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src &#39;none&#39;; style-src &#39;unsafe-inline&#39;;", html);
        Assert.Contains("@media print", html);
        Assert.Contains("@page { size: A4;", html);
        foreach (var font in new[] { "\"Noto Sans\"", "\"Noto Nastaliq Urdu\"", "\"Noto Naskh Arabic\"", "\"Noto Sans Devanagari\"" })
            Assert.Contains(font, html);
    }

    [Fact]
    public void ReceiptPage_without_items_or_payer_still_shows_the_amount()
    {
        var html = Render("en", ReceiptLabels.Receipt(payer: null, items: []) with { BillReference = "FREE" });

        Assert.Contains("<bdi id=\"payer\">—</bdi>", html);
        Assert.Contains("<td><bdi dir=\"ltr\">FREE</bdi></td><td class=\"amount\"><bdi dir=\"ltr\" class=\"ltr money\"><span class=\"value\">2500.00</span>", html);
    }

    [Theory]
    [InlineData("fr")]
    [InlineData("UR")]
    [InlineData("")]
    public void ReceiptPage_in_another_language_is_refused(string language)
    {
        Assert.False(ReceiptPage.IsLanguage(language));
        Assert.Throws<ArgumentException>(() => Render(language));
    }

    static int Count(string text, string part) => (text.Length - text.Replace(part, "", StringComparison.Ordinal).Length) / part.Length;
}

/// <summary>
/// Debian's Chromium (<c>/usr/bin/chromium</c>, installed by <c>scripts/infra.sh up</c>) driven by Playwright; no browser
/// is downloaded. A missing Chromium fails the tests that need it, naming the fix.
/// </summary>
public sealed class ChromiumFixture : IAsyncLifetime
{
    public const string ExecutablePath = "/usr/bin/chromium";
    IPlaywright? _playwright;
    IBrowser? _browser;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("Chromium did not start");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ExecutablePath))
            throw new InvalidOperationException($"{ExecutablePath} is missing: run 'bash scripts/infra.sh up' (it installs Debian's chromium and the Noto fonts).");
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Timeout = 60_000,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"],
        });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
    }
}

/// <summary>The Urdu and Hindi pages as Chromium lays them out: direction, text, numbers in order, and real glyphs for the labels.</summary>
public sealed class ReceiptPageInChromiumTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    /// <summary>The font families that hold each script's letters (fonts-noto-core).</summary>
    static readonly Dictionary<string, string[]> ScriptFonts = new()
    {
        [ReceiptPage.Urdu] = ["Noto Nastaliq Urdu", "Noto Naskh Arabic", "Noto Sans Arabic"],
        [ReceiptPage.Hindi] = ["Noto Sans Devanagari"],
    };

    async Task<IPage> Open(string language)
    {
        var page = await chromium.Browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 900, Height = 1200 } });
        // The page needs nothing from anywhere: every request it would make is refused and counted.
        var requests = 0;
        await page.RouteAsync("**/*", route => { requests++; return route.AbortAsync(); });
        await page.SetContentAsync(ReceiptPage.Render(ReceiptLabels.Receipt(), language, ReceiptLabels.Karachi));
        await page.EvaluateAsync("() => document.fonts.ready");
        Assert.Equal(0, requests);
        return page;
    }

    [Theory]
    [InlineData("ur", "rtl")]
    [InlineData("hi", "ltr")]
    public async Task ReceiptPage_in_chromium_has_the_languages_direction_and_labels(string language, string direction)
    {
        var page = await Open(language);

        Assert.Equal(direction, await page.EvaluateAsync<string>("() => getComputedStyle(document.body).direction"));
        Assert.Equal(direction, await page.EvaluateAsync<string>("() => getComputedStyle(document.querySelector('#label-total')).direction"));
        var text = await page.InnerTextAsync("body");
        foreach (var label in ReceiptLabels.Of(language)) Assert.Contains(label, text);
        var labels = ReceiptLabels.Of(language);
        for (var i = 0; i < labels.Length; i++)
            Assert.Equal(labels[i], await page.InnerTextAsync(ReceiptLabels.Elements[i]));
        await page.CloseAsync();
    }

    [Theory]
    [InlineData("ur")]
    [InlineData("hi")]
    public async Task ReceiptPage_in_chromium_keeps_numbers_and_amounts_in_order(string language)
    {
        var page = await Open(language);

        Assert.Equal(ReceiptLabels.Number, await page.InnerTextAsync("#receipt-number"));
        Assert.Equal("ltr", await page.EvaluateAsync<string>("() => getComputedStyle(document.querySelector('#receipt-number')).direction"));
        // Laid out left to right, character by character, as written.
        var lefts = await page.EvaluateAsync<double[]>("""
            () => {
              const text = document.querySelector('#receipt-number').firstChild, range = document.createRange(), lefts = [];
              for (let i = 0; i < text.length; i++) { range.setStart(text, i); range.setEnd(text, i + 1); lefts.push(range.getBoundingClientRect().left); }
              return lefts;
            }
            """);
        Assert.Equal(ReceiptLabels.Number.Length, lefts.Length);
        for (var i = 1; i < lefts.Length; i++) Assert.True(lefts[i] > lefts[i - 1], $"character {i} of the receipt number is not right of character {i - 1}: {string.Join(", ", lefts)}");
        // "2500.00 PKR": the amount left of its currency code (an RTL paragraph without the isolate would show "PKR 2500.00").
        Assert.Equal("2500.00 PKR", await page.InnerTextAsync("#total"));
        var order = await page.EvaluateAsync<double[]>("""
            () => [document.querySelector('#total .value').getBoundingClientRect().left, document.querySelector('#total .currency').getBoundingClientRect().left]
            """);
        Assert.True(order[0] < order[1], $"the total's amount ({order[0]}) is not left of its currency ({order[1]})");
        await page.CloseAsync();
    }

    /// <summary>
    /// Two checks that the labels are drawn with real glyphs. (1) Chromium's own account of the fonts it drew each label
    /// with (CDP <c>CSS.getPlatformFontsForNode</c>): the script's letters must come from a Noto font of that script;
    /// a glyph no installed font has is drawn as a missing-glyph box of another font and counted under it.
    /// (2) On a canvas with the label's font, the label must not measure like the same text with each letter replaced
    /// by U+FFFF, which no font has: text drawn entirely from missing-glyph boxes would measure the same.
    /// (<c>document.fonts.check</c> cannot tell: it answers true for any system font, installed or not.)
    /// </summary>
    [Theory]
    [InlineData("ur")]
    [InlineData("hi")]
    public async Task ReceiptPage_in_chromium_draws_the_labels_with_real_fonts(string language)
    {
        var page = await Open(language);
        var cdp = await page.Context.NewCDPSessionAsync(page);
        await cdp.SendAsync("DOM.enable");
        await cdp.SendAsync("CSS.enable");
        var document = await cdp.SendAsync("DOM.getDocument", new Dictionary<string, object> { ["depth"] = 0 });
        var root = document!.Value.GetProperty("root").GetProperty("nodeId").GetInt32();

        foreach (var (selector, label) in ReceiptLabels.Elements.Zip(ReceiptLabels.Of(language)))
        {
            var node = await cdp.SendAsync("DOM.querySelector", new Dictionary<string, object> { ["nodeId"] = root, ["selector"] = selector });
            var fonts = await cdp.SendAsync("CSS.getPlatformFontsForNode", new Dictionary<string, object> { ["nodeId"] = node!.Value.GetProperty("nodeId").GetInt32() });
            var used = fonts!.Value.GetProperty("fonts").EnumerateArray()
                .Select(f => (Family: f.GetProperty("familyName").GetString()!, Glyphs: f.GetProperty("glyphCount").GetInt32())).ToList();
            var described = string.Join(", ", used.Select(f => $"{f.Family} ({f.Glyphs} glyphs)"));
            var scriptGlyphs = used.Where(f => ScriptFonts[language].Contains(f.Family)).Sum(f => f.Glyphs);
            var otherGlyphs = used.Where(f => !ScriptFonts[language].Contains(f.Family)).Sum(f => f.Glyphs);
            // Spaces may come from the first font of the stack (Noto Sans); every letter must come from the script's font.
            Assert.True(scriptGlyphs > 0, $"'{label}' ({selector}) is drawn with {described}: none of {string.Join(", ", ScriptFonts[language])}");
            Assert.True(otherGlyphs <= label.Count(c => c == ' '), $"'{label}' ({selector}) is drawn partly with other fonts: {described}");

            var widths = await page.EvaluateAsync<double[]>("""
                ([selector, missing]) => {
                  const element = document.querySelector(selector), style = getComputedStyle(element);
                  const context = document.createElement('canvas').getContext('2d');
                  context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
                  const text = element.textContent;
                  return [context.measureText(text).width, context.measureText(missing).width];
                }
                """, new object[] { selector, string.Concat(label.Select(c => c == ' ' ? ' ' : '\uFFFF')) });
            Assert.True(widths[0] > 0, $"'{label}' has no width");
            Assert.True(Math.Abs(widths[0] - widths[1]) > 0.5,
                $"'{label}' measures {widths[0].ToString(CultureInfo.InvariantCulture)}px, like {label.Length} missing glyphs ({widths[1].ToString(CultureInfo.InvariantCulture)}px)");
        }
        await cdp.DetachAsync();
        await page.CloseAsync();
    }
}

/// <summary><c>GET /api/v1/payments/{id}/receipt.html</c> on each infrastructure.</summary>
public abstract partial class PaymentsContract<THub>
{
    async Task<string> CapturedPayment(string amount)
    {
        var payment = await Pay(await Bill(amount), DemoPayments.StripeAccount);
        var awaiting = await Status(payment, "awaiting-payment");
        await hub.Stripe.Pay(hub.Stripe.IntentFor(awaiting["reference"]!.GetValue<string>())!);
        await Status(payment, "captured");
        return payment;
    }

    async Task<(HttpResponseMessage Response, string Body)> ReceiptPageOf(string payment, string query = "", string? token = "")
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/payments/{payment}/receipt.html{query}");
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token == "" ? hub.Token() : token);
        var response = await hub.Http.SendAsync(request);
        return (response, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ReceiptPage_of_a_captured_payment_is_printable_html_in_each_language()
    {
        var payment = await CapturedPayment("2500.00");
        var number = (await hub.Get($"/api/v1/payments/{payment}/receipt")).Body!["number"]!.GetValue<string>();

        foreach (var (query, language, direction) in new[] { ("", "en", "ltr"), ("?lang=en", "en", "ltr"), ("?lang=ur", "ur", "rtl"), ("?lang=hi", "hi", "ltr") })
        {
            var (response, html) = await ReceiptPageOf(payment, query);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/html; charset=utf-8", response.Content.Headers.ContentType!.ToString());
            Assert.Equal("no-store", response.Headers.CacheControl!.ToString());
            Assert.StartsWith("default-src 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
            Assert.Contains($"<html lang=\"{language}\" dir=\"{direction}\">", html);
            Assert.Contains($"id=\"receipt-number\">{number}</bdi>", html);
            Assert.Contains("<span class=\"value\">2500.00</span> <span class=\"currency\">PKR</span>", html);
            Assert.Contains("<bdi id=\"payer\">Ayesha Khan</bdi>", html);
            Assert.Contains("Driving licence renewal", html);
            Assert.Contains(ReceiptLabels.Of(language)[1], html);
            Assert.Contains("UTC+05:00</time>", html); // the department's time zone: Asia/Karachi
        }
    }

    [Fact]
    public async Task ReceiptPage_in_an_unknown_language_is_a_400_problem()
    {
        var payment = await CapturedPayment("10.00");

        foreach (var query in new[] { "?lang=fr", "?lang=", "?lang=UR", "?lang=ur-PK" })
        {
            var (response, body) = await ReceiptPageOf(payment, query);

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
            Assert.Contains("en, ur, hi", JsonNode.Parse(body)!["detail"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task ReceiptPage_without_a_receipt_is_a_404_problem()
    {
        var pending = await Pay(await Bill("11.00"), DemoPayments.StripeAccount);
        await Status(pending, "awaiting-payment");
        var captured = await CapturedPayment("12.00");

        foreach (var (payment, token) in new[] { (pending, ""), ("pay_nothing", ""), (captured, hub.Token(PaymentsHub.Other)) })
        {
            var (response, body) = await ReceiptPageOf(payment, "?lang=ur", token);

            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
            Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(body).RootElement.ValueKind);
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await ReceiptPageOf(captured, "?lang=ur", null)).Response.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden,
            (await ReceiptPageOf(captured, "?lang=ur", hub.Token(PaymentsHub.Department, PaymentScopes.Write.Name))).Response.StatusCode);
    }
}
