using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.Hosting.Configuration;

/// <summary>
/// The process's configuration as endpoints read their settings: every key as configured, plus the new keys of moved
/// settings (<see cref="MovedSetting"/>) taken from their old keys when only those are set. Each old key in use is
/// reported once (<see cref="Warnings"/>, logged at start).
/// </summary>
public sealed class HubConfiguration
{
    readonly List<string> _warnings = [];

    public HubConfiguration(IConfiguration configuration, IEnumerable<MovedSetting> moves)
    {
        var moved = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var move in moves)
            Move(configuration, move, moved);
        Configuration = moved.Count == 0
            ? configuration
            : new ConfigurationBuilder().AddConfiguration(configuration).AddInMemoryCollection(moved).Build();
    }

    public IConfiguration Configuration { get; }

    /// <summary>One line per old key in use, naming the new key.</summary>
    public IReadOnlyList<string> Warnings => _warnings;

    /// <summary>Reads settings with <paramref name="read"/>; a binding error (a value of the wrong kind) becomes a <see cref="HubSettingsException"/>.</summary>
    public T Read<T>(Func<IConfiguration, T> read)
    {
        try
        {
            return read(Configuration);
        }
        catch (InvalidOperationException exception) when (exception is not HubSettingsException)
        {
            throw new HubSettingsException([exception.Message]);
        }
    }

    void Move(IConfiguration configuration, MovedSetting move, Dictionary<string, string?> moved)
    {
        var oldSegments = move.OldKey.Split(':');
        var newSegments = move.NewKey.Split(':');
        foreach (var (section, wildcards) in Matches(configuration, oldSegments, 0, []))
        {
            var target = string.Join(':', Substitute(newSegments, wildcards));
            var copied = false;
            foreach (var (key, value) in Leaves(section))
            {
                var relative = key.Length > section.Path.Length ? key[(section.Path.Length + 1)..] : "";
                var newKey = relative.Length == 0 ? target : target + ":" + relative;
                if (configuration[newKey] is not null || moved.ContainsKey(newKey)) continue;
                moved[newKey] = value;
                copied = true;
            }
            if (copied)
                _warnings.Add($"Setting '{section.Path}' has moved to '{target}'; the old key still works in this release only. " +
                              $"Rename it (environment: {target.Replace(":", "__", StringComparison.Ordinal)}).");
        }

        IEnumerable<(IConfigurationSection Section, List<string> Wildcards)> Matches(IConfiguration at, string[] segments, int index, List<string> wildcards)
        {
            if (index == segments.Length)
            {
                if (at is IConfigurationSection found) yield return (found, wildcards);
                yield break;
            }
            var segment = segments[index];
            var children = segment == "*"
                ? at.GetChildren().Where(c => !move.Except.Contains(c.Key, StringComparer.OrdinalIgnoreCase))
                : at.GetChildren().Where(c => string.Equals(c.Key, segment, StringComparison.OrdinalIgnoreCase));
            foreach (var child in children.ToList())
                foreach (var match in Matches(child, segments, index + 1, segment == "*" ? [.. wildcards, child.Key] : wildcards))
                    yield return match;
        }
    }

    static IEnumerable<string> Substitute(string[] segments, List<string> wildcards)
    {
        var next = 0;
        foreach (var segment in segments)
            yield return segment == "*" ? wildcards[next++] : segment;
    }

    static IEnumerable<(string Key, string? Value)> Leaves(IConfigurationSection section)
    {
        if (section.Value is not null) yield return (section.Path, section.Value);
        foreach (var child in section.GetChildren())
            foreach (var leaf in Leaves(child))
                yield return leaf;
    }

    internal void LogWarnings(ILogger logger)
    {
        foreach (var warning in _warnings)
            logger.LogWarning("DEPRECATED SETTING: {Warning}", warning);
    }
}
