namespace IntegrationHub.Webhooks.Retention;

/// <summary>
/// How long ended webhook deliveries are kept, from the <c>Hub:Retention</c> section shared by the endpoints that
/// prune (<c>DeliveredWebhooks</c>, <c>DeadWebhooks</c>, <c>Interval</c>, <c>BatchSize</c>). Checked when the
/// endpoint starts: a mistake stops it, with every problem listed.
/// </summary>
public sealed class WebhookRetentionOptions
{
    public const string SectionName = "Hub:Retention";
    public static readonly TimeSpan Shortest = TimeSpan.FromHours(1);

    /// <summary>Delivered deliveries, counted from their (last) delivery.</summary>
    public TimeSpan DeliveredWebhooks { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// Dead and no-callback-registered deliveries (waiting for an operator's replay), counted from their last attempt
    /// (from their creation when never attempted).
    /// </summary>
    public TimeSpan DeadWebhooks { get; set; } = TimeSpan.FromDays(90);

    /// <summary>Time between two prunings (the first runs at start).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Deliveries removed per transaction.</summary>
    public int BatchSize { get; set; } = 1000;

    public static WebhookRetentionOptions From(IConfiguration configuration)
    {
        var options = new WebhookRetentionOptions();
        try
        {
            configuration.GetSection(SectionName).Bind(options);
        }
        catch (InvalidOperationException exception)
        {
            throw new InvalidOperationException($"Retention configuration is invalid: {SectionName}: {exception.Message}", exception);
        }

        var problems = new List<string>();
        if (options.DeliveredWebhooks < Shortest)
            problems.Add($"{SectionName}:DeliveredWebhooks must be at least {Shortest} (e.g. 30.00:00:00 for 30 days)");
        if (options.DeadWebhooks < Shortest)
            problems.Add($"{SectionName}:DeadWebhooks must be at least {Shortest} (e.g. 90.00:00:00 for 90 days)");
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
