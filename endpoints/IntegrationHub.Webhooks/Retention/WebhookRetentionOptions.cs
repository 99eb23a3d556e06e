using IntegrationHub.Hosting.Retention;

namespace IntegrationHub.Webhooks.Retention;

/// <summary>
/// How long ended webhook deliveries are kept (<c>Hub:Webhooks:Retention</c>: <c>Delivered</c>, <c>Dead</c>; how often and
/// how many rows at once from <c>Hub:Retention</c>).
/// </summary>
public sealed class WebhookRetentionOptions : RetentionOptions
{
    public static readonly TimeSpan Shortest = TimeSpan.FromHours(1);

    /// <summary>Delivered deliveries, counted from their (last) delivery.</summary>
    public TimeSpan Delivered { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// Dead and no-callback-registered deliveries (waiting for an operator's replay), counted from their last attempt
    /// (from their creation when never attempted).
    /// </summary>
    public TimeSpan Dead { get; set; } = TimeSpan.FromDays(90);

    protected override IEnumerable<string> Problems() =>
        AtLeast(nameof(Delivered), Delivered, Shortest, "30.00:00:00 for 30 days")
            .Concat(AtLeast(nameof(Dead), Dead, Shortest, "90.00:00:00 for 90 days"));

    public static WebhookRetentionOptions From(IConfiguration configuration) =>
        From<WebhookRetentionOptions>(configuration, WebhooksEndpoint.EndpointName);
}
