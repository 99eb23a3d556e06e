using System.Diagnostics.CodeAnalysis;
using System.Net.Mail;
using PhoneNumbers;

namespace IntegrationHub.Adapters.Notifications;

/// <summary>
/// Recipients as providers take them: phone numbers normalised to E.164 with libphonenumber (a national number read in
/// the department's default region, e.g. PK: <c>0300 1234567</c> → <c>+923001234567</c>), e-mail addresses checked;
/// every refusal says why, in words that name no part of the number or address.
/// </summary>
public static class Recipients
{
    const int MaxPhoneLength = 32;
    const int MaxEmailLength = 254;
    static readonly PhoneNumberUtil Phones = PhoneNumberUtil.GetInstance();

    public static bool TryPhone(string? text, string defaultRegion, [NotNullWhen(true)] out string? e164, [NotNullWhen(false)] out string? problem)
    {
        e164 = null;
        if (string.IsNullOrWhiteSpace(text) || text.Length > MaxPhoneLength || text.Any(char.IsControl))
        {
            problem = "not a phone number (empty, too long or with control characters)";
            return false;
        }
        try
        {
            var number = Phones.Parse(text, defaultRegion);
            if (!Phones.IsValidNumber(number))
            {
                problem = "not a valid phone number for its country";
                return false;
            }
            var type = Phones.GetNumberType(number);
            if (type is not (PhoneNumberType.MOBILE or PhoneNumberType.FIXED_LINE_OR_MOBILE))
            {
                problem = "not a mobile number: SMS cannot reach it";
                return false;
            }
            e164 = Phones.Format(number, PhoneNumberFormat.E164);
            problem = null;
            return true;
        }
        catch (NumberParseException e)
        {
            problem = e.ErrorType switch
            {
                ErrorType.INVALID_COUNTRY_CODE => "the country code is missing or unknown",
                ErrorType.TOO_SHORT_NSN or ErrorType.TOO_SHORT_AFTER_IDD => "too short to be a phone number",
                ErrorType.TOO_LONG => "too long to be a phone number",
                _ => "not a phone number",
            };
            return false;
        }
    }

    public static bool TryEmail(string? text, [NotNullWhen(true)] out string? address, [NotNullWhen(false)] out string? problem)
    {
        address = null;
        if (string.IsNullOrWhiteSpace(text) || text.Length > MaxEmailLength || text.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
        {
            problem = "not an e-mail address (empty, too long, or with spaces or control characters)";
            return false;
        }
        var at = text.LastIndexOf('@');
        if (at <= 0 || at == text.Length - 1 || at > 64 || !text[(at + 1)..].Contains('.') || text[(at + 1)..].StartsWith('.') || text.EndsWith('.'))
        {
            problem = "not an e-mail address (name@domain.tld)";
            return false;
        }
        try
        {
            var parsed = new MailAddress(text);
            if (parsed.Address != text || parsed.DisplayName.Length > 0)
            {
                problem = "not a plain e-mail address (no display names or comments)";
                return false;
            }
            address = parsed.User + "@" + parsed.Host.ToLowerInvariant();
            problem = null;
            return true;
        }
        catch (FormatException)
        {
            problem = "not an e-mail address";
            return false;
        }
    }

    /// <summary>A phone number for logs: country code and the last two digits (<c>+92*******67</c>).</summary>
    public static string MaskPhone(string e164) => e164.Length <= 5 ? "***" : e164[..3] + new string('*', e164.Length - 5) + e164[^2..];

    /// <summary>An address for logs: its first letter and domain (<c>a***@example.com</c>).</summary>
    public static string MaskEmail(string address) => address.IndexOf('@') is var at and > 0 ? address[0] + "***" + address[at..] : "***";
}
