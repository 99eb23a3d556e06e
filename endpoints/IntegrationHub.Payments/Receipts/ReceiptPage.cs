using System.Globalization;
using System.Net;
using System.Text;
using IntegrationHub.Adapters.JazzCash;
using IntegrationHub.Adapters.Payments;
using IntegrationHub.Adapters.Stripe;
using IntegrationHub.Payments.Ledger;

namespace IntegrationHub.Payments.Receipts;

/// <summary>
/// A receipt as a printable HTML page in English, Urdu (right to left) or Hindi: one self-contained document (inline
/// CSS, no scripts, no external resources, a CSP that allows neither), dates in the department's time zone, amounts as
/// exact decimal strings with the currency code. Numbers, receipt numbers, references and dates stay in Western digits
/// inside <c>dir="ltr"</c> isolates, so that a right-to-left page never reorders them; the departments' own text (payer
/// names, item descriptions) is HTML-encoded and isolated (<c>&lt;bdi&gt;</c>), so neither markup nor bidi controls in it
/// reach the rest of the page.
/// </summary>
public static class ReceiptPage
{
    public const string ContentType = "text/html; charset=utf-8";

    /// <summary>What the page's own meta tag allows (nothing but its inline style); the HTTP route sends it as a header too.</summary>
    public const string ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

    public const string English = "en";
    public const string Urdu = "ur";
    public const string Hindi = "hi";

    /// <summary>The page's labels in one language.</summary>
    public sealed record Labels(string Receipt, string ReceiptNumber, string Date, string PaidBy, string BillReference, string Item, string Amount,
        string Total, string PaidThrough);

    sealed record Language(string Code, string Direction, Labels Labels);

    static readonly Dictionary<string, Language> Known = new(StringComparer.Ordinal)
    {
        [English] = new(English, "ltr", new Labels("Receipt", "Receipt number", "Date", "Paid by", "Bill reference", "Item", "Amount", "Total",
            "Paid through")),
        // Urdu letters, not Arabic ones: ی (U+06CC), ک (U+06A9), ہ (U+06C1).
        [Urdu] = new(Urdu, "rtl", new Labels("رسید", "رسید نمبر", "تاریخ", "ادا کنندہ", "بل کا حوالہ", "تفصیل", "رقم", "کل رقم",
            "ادائیگی بذریعہ")),
        [Hindi] = new(Hindi, "ltr", new Labels("रसीद", "रसीद संख्या", "दिनांक", "भुगतानकर्ता", "बिल संदर्भ", "विवरण", "राशि", "कुल राशि",
            "भुगतान माध्यम")),
    };

    /// <summary>The languages a receipt page is written in: <c>en</c>, <c>ur</c>, <c>hi</c>.</summary>
    public static IReadOnlyList<string> Languages { get; } = [English, Urdu, Hindi];

    public static bool IsLanguage(string? language) => language is not null && Known.ContainsKey(language);

    public static Labels LabelsOf(string language) => Of(language).Labels;

    /// <summary><c>ltr</c> or <c>rtl</c>: the page's direction in that language.</summary>
    public static string DirectionOf(string language) => Of(language).Direction;

    /// <summary>The receipt as a complete HTML document in <paramref name="language"/>, its date in <paramref name="timeZone"/>.</summary>
    public static string Render(ReceiptRow receipt, string language, TimeZoneInfo timeZone)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        ArgumentNullException.ThrowIfNull(timeZone);
        var lang = Of(language);
        var l = lang.Labels;
        var issued = TimeZoneInfo.ConvertTime(receipt.IssuedAt, timeZone);

        var rows = new StringBuilder();
        foreach (var item in receipt.Items)
            rows.Append("<tr><td><bdi>").Append(E(item.Description)).Append("</bdi></td><td class=\"amount\">")
                .Append(MoneyText(item.AmountMinor, receipt.Currency, null)).Append("</td></tr>\n");
        if (receipt.Items.Count == 0)
            rows.Append("<tr><td><bdi dir=\"ltr\">").Append(E(receipt.BillReference)).Append("</bdi></td><td class=\"amount\">")
                .Append(MoneyText(receipt.AmountMinor, receipt.Currency, null)).Append("</td></tr>\n");

        return $$"""
            <!DOCTYPE html>
            <html lang="{{lang.Code}}" dir="{{lang.Direction}}">
            <head>
            <meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="{{E(ContentSecurityPolicy)}}">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="referrer" content="no-referrer">
            <title>{{E(l.Receipt)}} {{E(receipt.Number)}}</title>
            <style>
            {{Style}}
            </style>
            </head>
            <body>
            <main class="receipt">
            <header>
            <h1 id="label-receipt">{{E(l.Receipt)}}</h1>
            <p class="department"><bdi id="department">{{E(receipt.Department)}}</bdi></p>
            </header>
            <dl class="facts">
            <div><dt id="label-receipt-number">{{E(l.ReceiptNumber)}}</dt><dd><bdi dir="ltr" class="ltr" id="receipt-number">{{E(receipt.Number)}}</bdi></dd></div>
            <div><dt id="label-date">{{E(l.Date)}}</dt><dd><bdi dir="ltr" class="ltr" id="date"><time datetime="{{issued.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture)}}">{{issued.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)}} UTC{{issued.ToString("zzz", CultureInfo.InvariantCulture)}}</time></bdi></dd></div>
            <div><dt id="label-paid-by">{{E(l.PaidBy)}}</dt><dd><bdi id="payer">{{E(string.IsNullOrEmpty(receipt.PayerName) ? "—" : receipt.PayerName)}}</bdi></dd></div>
            <div><dt id="label-bill-reference">{{E(l.BillReference)}}</dt><dd><bdi dir="ltr" class="ltr" id="bill-reference">{{E(receipt.BillReference)}}</bdi></dd></div>
            <div><dt id="label-paid-through">{{E(l.PaidThrough)}}</dt><dd><bdi dir="ltr" class="ltr" id="gateway">{{E(GatewayName(receipt.Gateway))}}</bdi></dd></div>
            </dl>
            <table class="items">
            <thead><tr><th scope="col" id="label-item">{{E(l.Item)}}</th><th scope="col" class="amount" id="label-amount">{{E(l.Amount)}}</th></tr></thead>
            <tbody>
            {{rows}}</tbody>
            <tfoot><tr><th scope="row" id="label-total">{{E(l.Total)}}</th><td class="amount">{{MoneyText(receipt.AmountMinor, receipt.Currency, "total")}}</td></tr></tfoot>
            </table>
            </main>
            </body>
            </html>

            """;
    }

    static Language Of(string language) =>
        language is not null && Known.TryGetValue(language, out var known)
            ? known
            : throw new ArgumentException($"'{language}' is not a receipt language ({string.Join(", ", Known.Keys)})", nameof(language));

    /// <summary>"1500.00 PKR", left to right in every language: the amount's exact digits (never floating point), then the code.</summary>
    static string MoneyText(long minor, string currency, string? id) =>
        $"<bdi dir=\"ltr\" class=\"ltr money\"{(id is null ? "" : $" id=\"{id}\"")}><span class=\"value\">{E(new Money(minor, currency).Amount)}</span> " +
        $"<span class=\"currency\">{E(currency)}</span></bdi>";

    static string GatewayName(string gateway) => gateway switch
    {
        StripeGateway.Name => "Stripe",
        JazzCashGateway.Name => "JazzCash",
        _ => gateway,
    };

    static string E(string text) => WebUtility.HtmlEncode(text);

    // Print first: black on white, A4, no backgrounds the printer drops. Noto Sans for Latin text and digits; the
    // browser takes Arabic-script letters from Noto Nastaliq Urdu (Naskh if Nastaliq is missing) and Devanagari from
    // Noto Sans Devanagari, so one stack serves payer names in any of these scripts on every page.
    const string Style = """
        @page { size: A4; margin: 16mm; }
        :root { color: #000; background: #fff; }
        body { margin: 0; padding: 24px; font-family: "Noto Sans", "Noto Nastaliq Urdu", "Noto Naskh Arabic", "Noto Sans Arabic", "Noto Sans Devanagari", "DejaVu Sans", sans-serif; font-size: 12pt; line-height: 1.8; }
        html[lang="ur"] body { line-height: 2.4; }
        .receipt { max-width: 720px; margin: 0 auto; border: 1px solid #000; padding: 24px 32px; }
        header { border-bottom: 2px solid #000; margin-bottom: 16px; }
        h1 { font-size: 20pt; margin: 0; }
        .department { margin: 0 0 8px; }
        .facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 24px; margin: 0 0 16px; }
        .facts > div { display: contents; }
        dt { font-weight: bold; }
        dd { margin: 0; }
        .ltr { font-family: "Noto Sans", "DejaVu Sans", sans-serif; font-variant-numeric: tabular-nums; white-space: nowrap; }
        table { width: 100%; border-collapse: collapse; }
        th, td { text-align: start; padding: 6px 8px; border-bottom: 1px solid #000; vertical-align: top; }
        .amount { text-align: end; white-space: nowrap; }
        tfoot th, tfoot td { font-weight: bold; border-top: 2px solid #000; border-bottom: none; }
        @media print { body { padding: 0; } .receipt { border: none; padding: 0; max-width: none; } tr { break-inside: avoid; } }
        """;
}
