using IntegrationHub.Hosting.Retention;

namespace IntegrationHub.Webhooks.Retention;

/// <summary>
/// How long ended webhook deliveries are kept, from the <c>Hub:Retention</c> section shared by the endpoints that
/// prune (<c>DeliveredWebhooks</c>, <c>DeadWebhooks</c>, <c>Interval</c>, <c>BatchSize</c>). Checked when the
/// endpoint starts: a mistake stops it, with every problem listed.
/// </summary>
public sealed class WebhookRetentionOptions : RetentionOptions
{
    public static readonly TimeSpan Shortest = TimeSpan.FromHours(1);

    /// <summary>Delivered deliveries, counted from their (last) delivery.</summary>
    public TimeSpan DeliveredWebhooks { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// Dead and no-callback-registered deliveries (waiting for an operator's replay), counted from their last attempt
    /// (from their creation when never attempted).
    /// </summary>
    public TimeSpan DeadWebhooks { get; set; } = TimeSpan.FromDays(90);

    protected override IEnumerable<string> Problems() =>
        AtLeast(nameof(DeliveredWebhooks), DeliveredWebhooks, Shortest, "30.00:00:00 for 30 days")
            .Concat(AtLeast(nameof(DeadWebhooks), DeadWebhooks, Shortest, "90.00:00:00 for 90 days"));

    public static WebhookRetentionOptions From(IConfiguration configuration) => From<WebhookRetentionOptions>(configuration);
}
