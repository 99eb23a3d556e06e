using System.Text;

namespace IntegrationHub.Adapters.Notifications;

public enum SmsAlphabet { Gsm7, Ucs2 }

/// <summary>How a text travels as SMS: its alphabet, how many parts it takes, and the characters that forced UCS-2.</summary>
/// <param name="Units">Septets for GSM-7 (an extension-table character counts two), UTF-16 code units for UCS-2.</param>
public sealed record SmsShape(SmsAlphabet Alphabet, int Units, int Segments, int UnitsPerSegment, IReadOnlyList<string> NonGsmCharacters);

/// <summary>
/// GSM 03.38: a text of the default alphabet (and its extension table, each of those characters two septets) is GSM-7,
/// 160 septets in one SMS or 153 per part of a concatenated one (the user-data header takes 7); anything else is UCS-2,
/// 70 UTF-16 code units alone or 67 per part. A part never splits an extension character's escape pair, nor a
/// surrogate pair: those move whole to the next part, as handsets and gateways do.
/// </summary>
public static class SmsEncoding
{
    const string Basic =
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001BÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    const string Extension = "\f^{}\\[~]|€";
    static readonly HashSet<char> BasicSet = [.. Basic.Where(c => c != '\u001B')];
    static readonly HashSet<char> ExtensionSet = [.. Extension];

    public static SmsShape Of(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var nonGsm = new List<string>();
        foreach (var rune in text.EnumerateRunes())
            if (!(rune.IsBmp && (BasicSet.Contains((char)rune.Value) || ExtensionSet.Contains((char)rune.Value))))
            {
                var s = rune.ToString();
                if (!nonGsm.Contains(s)) nonGsm.Add(s);
            }
        return nonGsm.Count == 0 ? Gsm7(text) : Ucs2(text, nonGsm);
    }

    static SmsShape Gsm7(string text)
    {
        var septets = text.Sum(c => ExtensionSet.Contains(c) ? 2 : 1);
        if (septets <= 160) return new SmsShape(SmsAlphabet.Gsm7, septets, 1, 160, []);
        // Fill parts of 153 septets; an escape pair that does not fit moves whole to the next part.
        int segments = 1, used = 0;
        foreach (var c in text)
        {
            var size = ExtensionSet.Contains(c) ? 2 : 1;
            if (used + size > 153) { segments++; used = 0; }
            used += size;
        }
        return new SmsShape(SmsAlphabet.Gsm7, septets, segments, 153, []);
    }

    static SmsShape Ucs2(string text, IReadOnlyList<string> nonGsm)
    {
        var units = text.Length;
        if (units <= 70) return new SmsShape(SmsAlphabet.Ucs2, units, 1, 70, nonGsm);
        int segments = 1, used = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            var size = rune.Utf16SequenceLength;
            if (used + size > 67) { segments++; used = 0; }
            used += size;
        }
        return new SmsShape(SmsAlphabet.Ucs2, units, segments, 67, nonGsm);
    }
}
