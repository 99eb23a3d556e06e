using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace IntegrationHub.Hosting.Configuration;

/// <summary>
/// Reading one setting of a section, a problem added (and the fallback returned) when its value is not what it must be,
/// so an endpoint's options can list every problem at once (<see cref="HubSettingsException.ThrowIfAny"/>).
/// </summary>
public static class SettingReaders
{
    public static TimeSpan Span(this IConfigurationSection section, string name, TimeSpan fallback, TimeSpan least, List<string> problems)
    {
        if (section[name] is not { } text) return fallback;
        // A bare number would be read as days: a time span needs its colons.
        if (!text.Contains(':') || !TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var value) || value < least)
        {
            problems.Add($"{section.Path}:{name} must be a time span of at least {least} written with colons (e.g. 00:00:20), got '{text}'");
            return fallback;
        }
        return value;
    }

    public static int Int(this IConfigurationSection section, string name, int fallback, int least, int most, List<string> problems)
    {
        if (section[name] is not { } text) return fallback;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < least || value > most)
        {
            problems.Add($"{section.Path}:{name} must be a whole number from {least} to {most}, got '{text}'");
            return fallback;
        }
        return value;
    }

    public static bool Bool(this IConfigurationSection section, string name, bool fallback, List<string> problems)
    {
        if (section[name] is not { } text) return fallback;
        if (bool.TryParse(text, out var value)) return value;
        problems.Add($"{section.Path}:{name} must be true or false, got '{text}'");
        return fallback;
    }

    /// <summary>A required text setting: missing or blank is a problem.</summary>
    public static string Required(this IConfigurationSection section, string name, List<string> problems)
    {
        if (section[name] is { } text && !string.IsNullOrWhiteSpace(text)) return text;
        problems.Add($"{section.Path}:{name} is required");
        return "";
    }

    /// <summary>An absolute http(s) URL, or the fallback when not set.</summary>
    public static Uri? Url(this IConfigurationSection section, string name, Uri? fallback, List<string> problems)
    {
        if (section[name] is not { } text) return fallback;
        if (Uri.TryCreate(text, UriKind.Absolute, out var url) && url.Scheme is "http" or "https") return url;
        problems.Add($"{section.Path}:{name} must be an absolute http(s) URL, got '{text}'");
        return fallback;
    }
}
