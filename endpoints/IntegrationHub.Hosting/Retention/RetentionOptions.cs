using IntegrationHub.Hosting.Configuration;
using Microsoft.Extensions.Configuration;

namespace IntegrationHub.Hosting.Retention;

/// <summary>
/// How an endpoint prunes what it keeps: how often and how many rows per transaction (shared defaults in
/// <c>Hub:Retention</c>, overridden in the endpoint's <c>Hub:{Endpoint}:Retention</c>), and — in each subclass — how
/// long it keeps what, in <c>Hub:{Endpoint}:Retention</c>. Checked when the process starts, with every problem listed.
/// </summary>
public abstract class RetentionOptions
{
    public const string SharedSectionName = "Hub:Retention";

    /// <summary>Where the endpoint's retention settings are read from, e.g. <c>Hub:Providers:Retention</c>.</summary>
    public string Section { get; private set; } = SharedSectionName;

    /// <summary>Time between two prunings (the first runs at start).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Rows removed per transaction.</summary>
    public int BatchSize { get; set; } = 1000;

    /// <summary>What is wrong with the subclass's own settings (empty when nothing).</summary>
    protected abstract IEnumerable<string> Problems();

    /// <summary>A problem when <paramref name="value"/> (setting <paramref name="key"/>) is below <paramref name="shortest"/>.</summary>
    protected IEnumerable<string> AtLeast(string key, TimeSpan value, TimeSpan shortest, string example)
    {
        if (value < shortest)
            yield return $"{Section}:{key} must be at least {shortest} (e.g. {example})";
    }

    /// <summary>The retention of endpoint <paramref name="endpointName"/>: <c>Hub:Retention</c>, then <c>Hub:{endpointName}:Retention</c>.</summary>
    public static T From<T>(IConfiguration configuration, string endpointName) where T : RetentionOptions, new()
    {
        var options = new T { Section = $"{HubEndpoint.SettingsSectionOf(endpointName)}:Retention" };
        var problems = new List<string>();
        foreach (var section in new[] { SharedSectionName, options.Section })
            SettingsBinding.TryBind(configuration.GetSection(section), options, problems);

        problems.AddRange(options.Problems());
        if (options.Interval <= TimeSpan.Zero || options.Interval > TimeSpan.FromDays(1))
            problems.Add($"{options.Section}:Interval (or {SharedSectionName}:Interval) must be positive and at most one day");
        if (options.BatchSize is < 1 or > 100_000)
            problems.Add($"{options.Section}:BatchSize (or {SharedSectionName}:BatchSize) must be between 1 and 100000");
        HubSettingsException.ThrowIfAny(problems);
        return options;
    }
}
