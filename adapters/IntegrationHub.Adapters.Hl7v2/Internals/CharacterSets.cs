using System.Text;

namespace IntegrationHub.Adapters.Hl7v2.Internals;

/// <summary>Order: UTF-8 BOM, then MSH-18 read from the raw bytes, then UTF-8 if the bytes are valid UTF-8, else Latin-1.</summary>
static class CharacterSets
{
    static readonly UTF8Encoding StrictUtf8 = new(false, true);

    public static Encoding? ForName(string msh18) => msh18.Trim() switch
    {
        "" => null,
        "ASCII" or "8859/1" => Encoding.Latin1,
        "UNICODE UTF-8" => StrictUtf8,
        _ => null,
    };

    public static bool IsKnown(string msh18) => msh18.Trim() is "" or "ASCII" or "8859/1" or "UNICODE UTF-8";

    /// <summary>MSH-18's first repetition, read from bytes: the delimiters are ASCII in every supported set.</summary>
    public static string ReadMsh18(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 8 || bytes[0] != 'M' || bytes[1] != 'S' || bytes[2] != 'H') return "";
        var end = bytes.IndexOfAny((byte)'\r', (byte)'\n');
        var line = end < 0 ? bytes : bytes[..end];
        if (line.Length < 8) return "";
        byte fs = line[3], rep = line[5], comp = line[4];
        var field = 1;
        var i = 3;
        while (i < line.Length)
        {
            if (line[i] == fs)
            {
                field++;
                if (field == 18)
                {
                    var rest = line[(i + 1)..];
                    var stop = rest.IndexOfAny(fs, rep, comp);
                    if (stop >= 0) rest = rest[..stop];
                    return Encoding.ASCII.GetString(rest);
                }
            }
            i++;
        }
        return "";
    }

    public static bool IsValidUtf8(ReadOnlySpan<byte> bytes) => System.Text.Unicode.Utf8.IsValid(bytes);

    public static Encoding Utf8 => StrictUtf8;
}
