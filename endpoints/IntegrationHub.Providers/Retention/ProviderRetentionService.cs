using IntegrationHub.Providers.Exchanges;

namespace IntegrationHub.Providers.Retention;

/// <summary>
/// Removes finished exchanges and unmatched callbacks past their retention, at start and then every
/// <see cref="ProviderRetentionOptions.Interval"/>, batch after batch until none is left. Every instance of the
/// endpoint runs it; they share the work row by row.
/// </summary>
internal sealed class ProviderRetentionService(IProviderExchangeStore store, ProviderRetentionOptions options, TimeProvider time,
    ILogger<ProviderRetentionService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Interval, time);
        try
        {
            do
            {
                try
                {
                    await PruneOnce(stoppingToken);
                }
                catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogWarning(exception, "Pruning old provider exchanges failed; it runs again in {Interval}", options.Interval);
                }
            } while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    internal async Task PruneOnce(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var finished = await Drain(batch => store.PruneFinished(now - options.FinishedExchanges, batch, cancellationToken), cancellationToken);
        if (finished > 0)
            logger.LogInformation("Pruned {Count} finished provider exchanges that ended more than {Retention} ago", finished, options.FinishedExchanges);

        var unmatched = await Drain(batch => store.PruneUnmatched(now - options.UnmatchedCallbacks, batch, cancellationToken), cancellationToken);
        if (unmatched > 0)
            logger.LogInformation("Pruned {Count} unmatched provider callbacks received more than {Retention} ago", unmatched, options.UnmatchedCallbacks);
    }

    async Task<int> Drain(Func<int, Task<int>> pruneBatch, CancellationToken cancellationToken)
    {
        var total = 0;
        while (true)
        {
            var pruned = await pruneBatch(options.BatchSize);
            total += pruned;
            // A short batch: nothing is left, or another instance holds the rest.
            if (pruned < options.BatchSize) return total;
            cancellationToken.ThrowIfCancellationRequested();
        }
    }
}
