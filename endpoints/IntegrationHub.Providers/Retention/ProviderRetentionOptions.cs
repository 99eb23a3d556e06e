using IntegrationHub.Hosting.Retention;

namespace IntegrationHub.Providers.Retention;

/// <summary>
/// How long the Providers endpoint remembers ended conversations and unmatched callbacks (<c>Hub:Providers:Retention</c>:
/// <c>FinishedExchanges</c>, <c>UnmatchedCallbacks</c>; how often and how many rows at once from <c>Hub:Retention</c>).
/// </summary>
public sealed class ProviderRetentionOptions : RetentionOptions
{
    /// <summary>
    /// The shortest retention accepted. A finished exchange must outlive anything that may still arrive for its request
    /// (callbacks, redelivered or retried commands): once forgotten, a late callback is "no such request".
    /// </summary>
    public static readonly TimeSpan Shortest = TimeSpan.FromDays(1);

    /// <summary>Ended conversations (<c>providers.finished_exchanges</c>), counted from their end.</summary>
    public TimeSpan FinishedExchanges { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Callbacks that matched no running request (<c>providers.unmatched_callbacks</c>), counted from their receipt.</summary>
    public TimeSpan UnmatchedCallbacks { get; set; } = TimeSpan.FromDays(90);

    protected override IEnumerable<string> Problems() =>
        AtLeast(nameof(FinishedExchanges), FinishedExchanges, Shortest, "30.00:00:00 for 30 days")
            .Concat(AtLeast(nameof(UnmatchedCallbacks), UnmatchedCallbacks, Shortest, "90.00:00:00 for 90 days"));

    public static ProviderRetentionOptions From(IConfiguration configuration) =>
        From<ProviderRetentionOptions>(configuration, ProvidersEndpoint.EndpointName);
}
