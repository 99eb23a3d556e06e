using IntegrationHub.Hosting.Retention;
using IntegrationHub.Providers.Exchanges;

namespace IntegrationHub.Providers.Retention;

/// <summary>Removes finished exchanges and unmatched callbacks past their retention (see <see cref="PruningService{TOptions}"/>).</summary>
internal sealed class ProviderRetentionService(IProviderExchangeStore store, ProviderRetentionOptions options, TimeProvider time,
    ILogger<ProviderRetentionService> logger) : PruningService<ProviderRetentionOptions>(options, time, logger)
{
    protected override string Subject => "old provider exchanges";

    public override async Task PruneOnce(CancellationToken cancellationToken)
    {
        var now = Time.GetUtcNow();
        var finished = await Drain(batch => store.PruneFinished(now - Options.FinishedExchanges, batch, cancellationToken), cancellationToken);
        if (finished > 0)
            Logger.LogInformation("Pruned {Count} finished provider exchanges that ended more than {Retention} ago", finished, Options.FinishedExchanges);

        var unmatched = await Drain(batch => store.PruneUnmatched(now - Options.UnmatchedCallbacks, batch, cancellationToken), cancellationToken);
        if (unmatched > 0)
            Logger.LogInformation("Pruned {Count} unmatched provider callbacks received more than {Retention} ago", unmatched, Options.UnmatchedCallbacks);
    }
}
