using IntegrationHub.Hosting.Retention;

namespace IntegrationHub.Abdm.Links;

/// <summary>
/// <c>Hub:Abdm:Retention</c>: <c>LinkedCareContexts</c> (default 3650 days after the last linking: a link stands until the
/// patient unlinks, which a later part handles) and <c>UnmatchedCalls</c> (default 30 days).
/// </summary>
public sealed class AbdmRetentionOptions : RetentionOptions
{
    public TimeSpan LinkedCareContexts { get; set; } = TimeSpan.FromDays(3650);

    public TimeSpan UnmatchedCalls { get; set; } = TimeSpan.FromDays(30);

    protected override IEnumerable<string> Problems() =>
        AtLeast(nameof(LinkedCareContexts), LinkedCareContexts, TimeSpan.FromDays(1), "3650.00:00:00 for ten years")
            .Concat(AtLeast(nameof(UnmatchedCalls), UnmatchedCalls, TimeSpan.FromHours(1), "30.00:00:00 for 30 days"));

    public static AbdmRetentionOptions From(IConfiguration configuration) => From<AbdmRetentionOptions>(configuration, AbdmEndpoint.EndpointName);
}

internal sealed class AbdmRetentionService(ILinkedCareContexts links, IUnmatchedCalls unmatched, AbdmRetentionOptions options, TimeProvider time,
    ILogger<AbdmRetentionService> logger) : PruningService<AbdmRetentionOptions>(options, time, logger)
{
    protected override string Subject => "linked care contexts and unmatched ABDM calls";

    public override async Task PruneOnce(CancellationToken cancellationToken)
    {
        var links = await Drain(batch => linksStore.Prune(Time.GetUtcNow() - Options.LinkedCareContexts, batch, cancellationToken), cancellationToken);
        if (links > 0)
            Logger.LogInformation("Pruned {Rows} linked care contexts older than {Retention}", links, Options.LinkedCareContexts);
        var calls = await Drain(batch => unmatched.Prune(Time.GetUtcNow() - Options.UnmatchedCalls, batch, cancellationToken), cancellationToken);
        if (calls > 0)
            Logger.LogInformation("Pruned {Rows} unmatched ABDM calls older than {Retention}", calls, Options.UnmatchedCalls);
    }

    readonly ILinkedCareContexts linksStore = links;
}
