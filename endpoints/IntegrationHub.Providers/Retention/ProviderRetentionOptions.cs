namespace IntegrationHub.Providers.Retention;

/// <summary>
/// How long the Providers endpoint remembers ended conversations and unmatched callbacks, from the <c>Hub:Retention</c>
/// section shared by the endpoints that prune (<c>FinishedExchanges</c>, <c>UnmatchedCallbacks</c>, <c>Interval</c>,
/// <c>BatchSize</c>). Not under <c>Hub:Providers</c>, whose every child is a provider. Checked when the endpoint
/// starts: a mistake stops it, with every problem listed.
/// </summary>
public sealed class ProviderRetentionOptions
{
    public const string SectionName = "Hub:Retention";

    /// <summary>
    /// The shortest retention accepted. A finished exchange must outlive anything that may still arrive for its request
    /// (callbacks, redelivered or retried commands): once forgotten, a late callback is "no such request".
    /// </summary>
    public static readonly TimeSpan Shortest = TimeSpan.FromDays(1);

    /// <summary>Ended conversations (<c>providers.finished_exchanges</c>), counted from their end.</summary>
    public TimeSpan FinishedExchanges { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Callbacks that matched no running request (<c>providers.unmatched_callbacks</c>), counted from their receipt.</summary>
    public TimeSpan UnmatchedCallbacks { get; set; } = TimeSpan.FromDays(90);

    /// <summary>Time between two prunings (the first runs at start).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Rows removed per transaction.</summary>
    public int BatchSize { get; set; } = 1000;

    public static ProviderRetentionOptions From(IConfiguration configuration)
    {
        var options = new ProviderRetentionOptions();
        try
        {
            configuration.GetSection(SectionName).Bind(options);
        }
        catch (InvalidOperationException exception)
        {
            throw new InvalidOperationException($"Retention configuration is invalid: {SectionName}: {exception.Message}", exception);
        }

        var problems = new List<string>();
        if (options.FinishedExchanges < Shortest)
            problems.Add($"{SectionName}:FinishedExchanges must be at least {Shortest} (e.g. 30.00:00:00 for 30 days)");
        if (options.UnmatchedCallbacks < Shortest)
            problems.Add($"{SectionName}:UnmatchedCallbacks must be at least {Shortest} (e.g. 90.00:00:00 for 90 days)");
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
