using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace IntegrationHub.Adapters.Payments;

/// <summary>
/// An amount of money: an integer count of the currency's minor units (paisa, cents) and its ISO 4217 code. There is no
/// floating point anywhere: amounts are parsed from and written as decimal strings digit by digit, and gateways that
/// count in other units convert at their adapter's boundary.
/// </summary>
public readonly record struct Money
{
    /// <summary>The largest amount the hub accepts, in minor units (10^15: far beyond any fee, far inside a long).</summary>
    public const long MaxMinor = 1_000_000_000_000_000;

    public Money(long minor, string currency)
    {
        if (!Currencies.TryGet(currency, out var known))
            throw new ArgumentException($"'{currency}' is not a currency the hub knows (ISO 4217, e.g. PKR, INR, USD)", nameof(currency));
        if (minor is < 0 or > MaxMinor)
            throw new ArgumentOutOfRangeException(nameof(minor), $"an amount is 0 to {MaxMinor} minor units");
        Minor = minor;
        Currency = known.Code;
    }

    /// <summary>Minor units: paisa for PKR and INR, cents for USD, yen for JPY.</summary>
    public long Minor { get; }

    public string Currency { get; }

    public static Money Zero(string currency) => new(0, currency);

    public bool IsZero => Minor == 0;

    public static Money operator +(Money a, Money b) => new(checked(a.Minor + b.Same(a).Minor), a.Currency);

    public static Money operator -(Money a, Money b)
    {
        var difference = a.Minor - b.Same(a).Minor;
        return difference < 0 ? throw new InvalidOperationException($"{a} - {b} is negative") : new Money(difference, a.Currency);
    }

    public static bool operator <(Money a, Money b) => a.Minor < b.Same(a).Minor;
    public static bool operator >(Money a, Money b) => a.Minor > b.Same(a).Minor;
    public static bool operator <=(Money a, Money b) => a.Minor <= b.Same(a).Minor;
    public static bool operator >=(Money a, Money b) => a.Minor >= b.Same(a).Minor;

    public static Money Min(Money a, Money b) => a <= b ? a : b;

    Money Same(Money other) => other.Currency == Currency
        ? this
        : throw new InvalidOperationException($"{other.Currency} and {Currency} amounts cannot be combined");

    /// <summary>The amount in major units as a decimal string with the currency's digits: <c>1500.00</c>, <c>300</c> (JPY).</summary>
    public string Amount
    {
        get
        {
            var digits = Currencies.Exponent(Currency);
            if (digits == 0) return Minor.ToString(CultureInfo.InvariantCulture);
            var text = Minor.ToString(CultureInfo.InvariantCulture).PadLeft(digits + 1, '0');
            return text[..^digits] + "." + text[^digits..];
        }
    }

    public override string ToString() => $"{Amount} {Currency}";

    /// <summary>
    /// Reads a major-unit amount such as <c>1500</c>, <c>1500.5</c> or <c>1500.50</c> exactly: digits with at most one
    /// point and no more fraction digits than the currency has; no sign, exponent, grouping or spaces.
    /// </summary>
    public static bool TryParse(string? amount, string? currency, [NotNullWhen(true)] out Money? money, [NotNullWhen(false)] out string? problem)
    {
        money = null;
        if (currency is null || !Currencies.TryGet(currency, out var known))
        {
            problem = $"'{currency}' is not a currency the hub knows (ISO 4217 code, e.g. PKR, INR, USD)";
            return false;
        }
        if (string.IsNullOrEmpty(amount) || amount.Length > 24)
        {
            problem = "an amount is a decimal string of at most 24 characters, e.g. \"1500.00\"";
            return false;
        }
        var point = amount.IndexOf('.');
        var whole = point < 0 ? amount : amount[..point];
        var fraction = point < 0 ? "" : amount[(point + 1)..];
        if (whole.Length == 0 || !whole.All(char.IsAsciiDigit) || !fraction.All(char.IsAsciiDigit) || (point >= 0 && fraction.Length == 0))
        {
            problem = $"'{amount}' is not an amount: digits, optionally a point and up to {known.Exponent} fraction digits";
            return false;
        }
        if (fraction.Length > known.Exponent)
        {
            problem = $"{known.Code} has {known.Exponent} fraction digits; '{amount}' has {fraction.Length}";
            return false;
        }
        var digits = (whole + fraction.PadRight(known.Exponent, '0')).TrimStart('0');
        if (digits.Length > 16 || !long.TryParse(digits.Length == 0 ? "0" : digits, NumberStyles.None, CultureInfo.InvariantCulture, out var minor)
            || minor > MaxMinor)
        {
            problem = $"'{amount}' is larger than the hub accepts";
            return false;
        }
        money = new Money(minor, known.Code);
        problem = null;
        return true;
    }
}

/// <summary>The ISO 4217 currencies the hub takes payments in, with their minor-unit digits.</summary>
public static class Currencies
{
    public sealed record Currency(string Code, int Exponent);

    // The currencies of the gateways the hub speaks, and the common ones a department may price in. Extend as needed:
    // the exponent is what matters (ISO 4217's "minor unit" column).
    static readonly Dictionary<string, Currency> Known = new Currency[]
    {
        new("PKR", 2), new("INR", 2), new("BDT", 2), new("LKR", 2), new("NPR", 2), new("USD", 2), new("EUR", 2), new("GBP", 2),
        new("AED", 2), new("SAR", 2), new("AUD", 2), new("CAD", 2), new("SGD", 2), new("JPY", 0), new("KWD", 3), new("BHD", 3), new("OMR", 3),
    }.ToDictionary(c => c.Code, StringComparer.Ordinal);

    public static bool TryGet(string? code, [NotNullWhen(true)] out Currency? currency)
    {
        currency = null;
        return code is { Length: 3 } && Known.TryGetValue(code.ToUpperInvariant(), out currency);
    }

    public static int Exponent(string code) => TryGet(code, out var c) ? c.Exponent : throw new ArgumentException($"unknown currency '{code}'");

    public static IEnumerable<string> Codes => Known.Keys;
}
