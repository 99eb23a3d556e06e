using Microsoft.Extensions.Configuration;

namespace IntegrationHub.Hosting.Retention;

/// <summary>
/// The <c>Hub:Retention</c> section, shared by the endpoints that keep history: how often they prune and how many
/// rows per transaction; each endpoint's subclass adds how long it keeps what. Checked when the endpoint starts: a
/// mistake stops it, with every problem listed.
/// </summary>
public abstract class RetentionOptions
{
    public const string SectionName = "Hub:Retention";

    /// <summary>Time between two prunings (the first runs at start).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Rows removed per transaction.</summary>
    public int BatchSize { get; set; } = 1000;

    /// <summary>What is wrong with the subclass's own settings (empty when nothing).</summary>
    protected abstract IEnumerable<string> Problems();

    /// <summary>A problem when <paramref name="value"/> (setting <paramref name="key"/>) is below <paramref name="shortest"/>.</summary>
    protected static IEnumerable<string> AtLeast(string key, TimeSpan value, TimeSpan shortest, string example)
    {
        if (value < shortest)
            yield return $"{SectionName}:{key} must be at least {shortest} (e.g. {example})";
    }

    public static T From<T>(IConfiguration configuration) where T : RetentionOptions, new()
    {
        var options = new T();
        try
        {
            configuration.GetSection(SectionName).Bind(options);
        }
        catch (InvalidOperationException exception)
        {
            throw new InvalidOperationException($"Retention configuration is invalid: {SectionName}: {exception.Message}", exception);
        }

        var problems = options.Problems().ToList();
        if (options.Interval <= TimeSpan.Zero || options.Interval > TimeSpan.FromDays(1))
            problems.Add($"{SectionName}:Interval must be positive and at most one day");
        if (options.BatchSize is < 1 or > 100_000)
            problems.Add($"{SectionName}:BatchSize must be between 1 and 100000");
        if (problems.Count > 0)
            throw new InvalidOperationException("Retention configuration is invalid:" + Environment.NewLine + "  " +
                                                string.Join(Environment.NewLine + "  ", problems));
        return options;
    }
}
