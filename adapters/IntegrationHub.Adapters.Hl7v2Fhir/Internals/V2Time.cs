using System.Globalization;
using System.Text;

namespace IntegrationHub.Adapters.Hl7v2Fhir.Internals;

/// <summary>
/// v2 DT / DTM / TS (<c>YYYY[MM[DD[HH[MM[SS[.S…]]]]]][+/-ZZZZ]</c>) as FHIR date and dateTime, keeping the precision
/// the sender gave and its offset. FHIR needs an offset with any time: without one, the configured
/// <see cref="Hl7v2FhirOptions.DefaultOffset"/> is used, or the time is dropped (the date kept) and said.
/// </summary>
internal static class V2Time
{
    /// <summary>The parts of a v2 time; null when the text is not one.</summary>
    /// <param name="Date">YYYY, YYYY-MM or YYYY-MM-DD.</param>
    /// <param name="Time">HH:mm or HH:mm:ss, as precise as the sender gave it.</param>
    internal sealed record Parsed(string Date, string? Time, string? Fraction, TimeSpan? Offset);

    public static Parsed? Parse(string v2)
    {
        var text = v2.Trim();
        if (text.Length == 0) return null;
        TimeSpan? offset = null;
        var sign = text.IndexOfAny(['+', '-']);
        if (sign >= 0)
        {
            var zone = text[(sign + 1)..];
            if (zone.Length != 4 || !zone.All(char.IsAsciiDigit)) return null;
            var hours = int.Parse(zone[..2], CultureInfo.InvariantCulture);
            var minutes = int.Parse(zone[2..], CultureInfo.InvariantCulture);
            if (hours > 14 || minutes > 59 || (hours == 14 && minutes > 0)) return null;
            offset = new TimeSpan(hours, minutes, 0) * (text[sign] == '-' ? -1 : 1);
            text = text[..sign];
        }
        string? fraction = null;
        var dot = text.IndexOf('.');
        if (dot >= 0)
        {
            fraction = text[(dot + 1)..];
            text = text[..dot];
            if (fraction.Length is 0 or > 4 || !fraction.All(char.IsAsciiDigit) || text.Length != 14) return null;
        }
        if (text.Length is not (4 or 6 or 8 or 10 or 12 or 14) || !text.All(char.IsAsciiDigit)) return null;

        var year = int.Parse(text[..4], CultureInfo.InvariantCulture);
        var month = text.Length >= 6 ? int.Parse(text[4..6], CultureInfo.InvariantCulture) : 1;
        var day = text.Length >= 8 ? int.Parse(text[6..8], CultureInfo.InvariantCulture) : 1;
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > System.DateTime.DaysInMonth(year, month)) return null;
        var date = text.Length switch
        {
            4 => text[..4],
            6 => $"{text[..4]}-{text[4..6]}",
            _ => $"{text[..4]}-{text[4..6]}-{text[6..8]}",
        };
        if (text.Length <= 8) return new Parsed(date, null, null, offset);

        var hour = int.Parse(text[8..10], CultureInfo.InvariantCulture);
        var minute = text.Length >= 12 ? int.Parse(text[10..12], CultureInfo.InvariantCulture) : 0;
        var second = text.Length >= 14 ? int.Parse(text[12..14], CultureInfo.InvariantCulture) : 0;
        if (hour > 23 || minute > 59 || second > 59) return null;
        var time = new StringBuilder().Append(CultureInfo.InvariantCulture, $"{hour:D2}:{minute:D2}");
        if (text.Length >= 14) time.Append(CultureInfo.InvariantCulture, $":{second:D2}");
        return new Parsed(date, time.ToString(), fraction, offset);
    }

    /// <summary>FHIR dateTime (or instant-like text) for <paramref name="v2"/>; null when empty or not a time (with an issue).</summary>
    public static string? DateTime(string v2, MapContext context, string location)
    {
        if (v2.Length == 0) return null;
        if (Parse(v2) is not { } p)
        {
            context.Warn(location, "not a valid v2 date/time: dropped");
            return null;
        }
        if (p.Time is null) return p.Date;
        var offset = p.Offset ?? context.Options.DefaultOffset;
        if (offset is not { } o)
        {
            context.Warn(location, "a time without an offset (and no default offset configured): only its date is kept");
            return p.Date;
        }
        // FHIR dateTime with a time needs seconds.
        var time = p.Time.Length == 5 ? p.Time + ":00" : p.Time;
        var fraction = p.Fraction is null ? "" : "." + p.Fraction;
        return $"{p.Date}T{time}{fraction}{Offset(o)}";
    }

    /// <summary>FHIR date (PID-7 birth date: YYYY, YYYY-MM, YYYY-MM-DD); a time given with it is dropped and said.</summary>
    public static string? Date(string v2, MapContext context, string location)
    {
        if (v2.Length == 0) return null;
        if (Parse(v2) is not { } p)
        {
            context.Warn(location, "not a valid v2 date: dropped");
            return null;
        }
        if (p.Time is not null) context.Warn(location, "the time of day is not kept (FHIR date)");
        return p.Date;
    }

    /// <summary>An instant for ordering (missing parts as their earliest value, no offset as UTC); null when not a time.</summary>
    public static DateTimeOffset? Instant(string v2, TimeSpan? defaultOffset)
    {
        if (Parse(v2) is not { } p) return null;
        var text = p.Date.Length switch { 4 => p.Date + "-01-01", 7 => p.Date + "-01", _ => p.Date };
        var time = p.Time is null ? "00:00:00" : p.Time.Length == 5 ? p.Time + ":00" : p.Time;
        var local = System.DateTime.ParseExact($"{text}T{time}", "yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        if (p.Fraction is { } f) local = local.AddTicks(long.Parse(f.PadRight(7, '0'), CultureInfo.InvariantCulture));
        try
        {
            return new DateTimeOffset(local, p.Offset ?? defaultOffset ?? TimeSpan.Zero);
        }
        catch (ArgumentOutOfRangeException)
        {
            return null; // at the ends of the calendar, where the offset leaves it
        }
    }

    /// <summary>A FHIR dateTime with a time as an instant; null for a date alone, or one the calendar cannot hold.</summary>
    public static DateTimeOffset? ToInstant(string? fhir) =>
        fhir is not null && fhir.Contains('T', StringComparison.Ordinal)
        && DateTimeOffset.TryParse(fhir, CultureInfo.InvariantCulture, DateTimeStyles.None, out var instant)
            ? instant : null;

    public static string Offset(TimeSpan offset) =>
        (offset < TimeSpan.Zero ? "-" : "+") + offset.Duration().ToString(@"hh\:mm", CultureInfo.InvariantCulture);

    /// <summary>FHIR dateTime back to v2 DTM, keeping its precision and offset.</summary>
    public static string ToV2(string? fhir)
    {
        if (string.IsNullOrEmpty(fhir)) return "";
        var builder = new StringBuilder();
        var i = 0;
        for (; i < fhir.Length && fhir[i] != '+' && fhir[i] != 'Z' && !(fhir[i] == '-' && i > 9); i++)
            if (char.IsAsciiDigit(fhir[i]) || fhir[i] == '.') builder.Append(fhir[i]);
        if (i < fhir.Length)
        {
            var zone = fhir[i..];
            builder.Append(zone == "Z" ? "+0000" : zone.Replace(":", "", StringComparison.Ordinal));
        }
        return builder.ToString();
    }
}
