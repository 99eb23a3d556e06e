using System.Text;

namespace IntegrationHub.Adapters.Hl7v2.Internals;

static class Escapes
{
    public static string Decode(ReadOnlySpan<char> raw, Hl7Delimiters d, Encoding encoding)
    {
        var first = raw.IndexOf(d.Escape);
        if (first < 0) return new string(raw);
        var sb = new StringBuilder(raw.Length);
        sb.Append(raw[..first]);
        var i = first;
        while (i < raw.Length)
        {
            var c = raw[i];
            if (c != d.Escape) { sb.Append(c); i++; continue; }
            var close = raw[(i + 1)..].IndexOf(d.Escape);
            if (close < 0) { sb.Append(raw[i..]); break; } // unterminated: kept as written
            var body = raw.Slice(i + 1, close);
            var whole = raw.Slice(i, close + 2);
            i += close + 2;
            if (body.Length == 1)
            {
                switch (body[0])
                {
                    case 'F': sb.Append(d.Field); continue;
                    case 'S': sb.Append(d.Component); continue;
                    case 'T': sb.Append(d.SubComponent); continue;
                    case 'R': sb.Append(d.Repetition); continue;
                    case 'E': sb.Append(d.Escape); continue;
                    case 'P' when d.Truncation is { } t: sb.Append(t); continue;
                }
            }
            if (body.Length >= 3 && body[0] == 'X' && (body.Length - 1) % 2 == 0 && TryHex(body[1..], out var bytes)
                && (encoding is not UTF8Encoding || System.Text.Unicode.Utf8.IsValid(bytes)))
            {
                sb.Append(encoding.GetString(bytes));
                continue;
            }
            // Not valid hex (or not valid in the character set) is kept as written, like the formatting escapes.
            sb.Append(whole); // \.br\, \H\, \N\, \Cxxyy\, \Zxx\ … are formatting or local: kept for the receiver
        }
        return sb.ToString();
    }

    static bool TryHex(ReadOnlySpan<char> hex, out byte[] bytes)
    {
        bytes = new byte[hex.Length / 2];
        for (var k = 0; k < bytes.Length; k++)
        {
            if (!byte.TryParse(hex.Slice(k * 2, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out bytes[k]))
                return false;
        }
        return true;
    }

    public static string Encode(string value, Hl7Delimiters d)
    {
        var sb = (StringBuilder?)null;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            string? esc = c == d.Escape ? "E" : c == d.Field ? "F" : c == d.Component ? "S" : c == d.SubComponent ? "T"
                : c == d.Repetition ? "R" : d.Truncation == c ? "P" : c == '\r' ? "X0D" : c == '\n' ? "X0A" : null;
            if (esc is null) { sb?.Append(c); continue; }
            sb ??= new StringBuilder(value, 0, i, value.Length + 8);
            sb.Append(d.Escape).Append(esc).Append(d.Escape);
        }
        return sb?.ToString() ?? value;
    }
}
