namespace IntegrationHub.Webhooks;

/// <summary>Configuration section <c>Hub:Webhooks</c>.</summary>
public sealed class WebhookOptions
{
    public const string SectionName = "Hub:Webhooks";

    public static readonly IReadOnlyList<TimeSpan> DefaultRetrySchedule =
    [
        TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30),
        TimeSpan.FromHours(2), TimeSpan.FromHours(6), TimeSpan.FromHours(12),
    ];

    /// <summary>
    /// Waits between a failed attempt and the next one; after the last, the delivery is dead. Null (not an empty
    /// default) because configuration binding appends to arrays.
    /// </summary>
    public TimeSpan[]? RetrySchedule { get; set; }

    /// <summary>Development only: allows <c>http</c> callback URLs and loopback/private addresses.</summary>
    public bool AllowInsecureCallbacks { get; set; }

    /// <summary>How long one attempt may take before it counts as failed.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public IReadOnlyList<TimeSpan> EffectiveRetrySchedule => RetrySchedule is { Length: > 0 } ? RetrySchedule : DefaultRetrySchedule;

    public static WebhookOptions From(IConfiguration configuration) =>
        configuration.GetSection(SectionName).Get<WebhookOptions>() ?? new WebhookOptions();
}
