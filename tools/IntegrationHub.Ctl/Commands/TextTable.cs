using System.Globalization;

namespace IntegrationHub.Ctl.Commands;

/// <summary>The plain-text tables of the list commands: columns two spaces apart, each as wide as its widest cell.</summary>
internal static class TextTable
{
    /// <summary>
    /// Writes <paramref name="header"/> and <paramref name="rows"/> (every column padded to its widest cell but the last,
    /// trailing spaces trimmed), a blank line and <paramref name="footer"/>. <paramref name="rows"/> is not empty.
    /// </summary>
    public static async Task WriteAsync(TextWriter output, string[] header, IReadOnlyList<string[]> rows, string footer)
    {
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Max(r => r[i].Length))).ToArray();
        string Format(string[] cells) => string.Join("  ", cells.Select((c, i) => i == cells.Length - 1 ? c : c.PadRight(widths[i]))).TrimEnd();

        await output.WriteLineAsync(Format(header));
        foreach (var row in rows)
            await output.WriteLineAsync(Format(row));
        await output.WriteLineAsync();
        await output.WriteLineAsync(footer);
    }

    /// <summary><paramref name="text"/> on one line, cut to <paramref name="width"/> characters ending in "..." if longer.</summary>
    public static string Truncate(string text, int width)
    {
        text = text.ReplaceLineEndings(" ");
        return text.Length <= width ? text : string.Concat(text.AsSpan(0, width - 3), "...");
    }

    /// <summary>A time as the tables show it (UTC, to the second), <paramref name="none"/> for no time.</summary>
    public static string Time(DateTimeOffset? time, string none = "-") =>
        time?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? none;
}
