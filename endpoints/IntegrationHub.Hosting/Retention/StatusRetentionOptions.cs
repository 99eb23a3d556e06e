namespace IntegrationHub.Hosting.Retention;

/// <summary>
/// How long an endpoint keeps its status resources (<c>Hub:{Endpoint}:Retention</c>): ended ones with their results
/// and timelines (<c>EndedResources</c>), ones that never ended (<c>UnfinishedResources</c>), and idempotency keys
/// (<c>IdempotencyKeys</c>: a retry with a key older than that is a new request).
/// </summary>
public sealed class StatusRetentionOptions : RetentionOptions
{
    public TimeSpan EndedResources { get; set; } = TimeSpan.FromDays(30);

    public TimeSpan UnfinishedResources { get; set; } = TimeSpan.FromDays(365);

    public TimeSpan IdempotencyKeys { get; set; } = TimeSpan.FromDays(7);

    protected override IEnumerable<string> Problems() =>
        AtLeast(nameof(EndedResources), EndedResources, TimeSpan.FromHours(1), "30.00:00:00 for 30 days")
            .Concat(AtLeast(nameof(UnfinishedResources), UnfinishedResources, TimeSpan.FromDays(1), "365.00:00:00 for a year"))
            .Concat(AtLeast(nameof(IdempotencyKeys), IdempotencyKeys, TimeSpan.FromHours(1), "7.00:00:00 for 7 days"));
}
