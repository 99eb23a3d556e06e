using IntegrationHub.Webhooks.Storage;

namespace IntegrationHub.Webhooks.Retention;

/// <summary>
/// Removes ended deliveries past their retention, at start and then every <see cref="WebhookRetentionOptions.Interval"/>,
/// batch after batch until none is left. Every instance of the endpoint runs it; they share the work row by row.
/// </summary>
internal sealed class WebhookRetentionService(IWebhookDeliveryPruner pruner, WebhookRetentionOptions options, TimeProvider time,
    ILogger<WebhookRetentionService> logger) : BackgroundService
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
                    logger.LogWarning(exception, "Pruning old webhook deliveries failed; it runs again in {Interval}", options.Interval);
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
        var delivered = await Drain(batch => pruner.PruneDelivered(now - options.DeliveredWebhooks, batch, cancellationToken), cancellationToken);
        if (delivered.Deliveries > 0)
            logger.LogInformation("Pruned {Deliveries} delivered webhook deliveries ({Attempts} attempts) delivered more than {Retention} ago",
                delivered.Deliveries, delivered.Attempts, options.DeliveredWebhooks);

        var dead = await Drain(batch => pruner.PruneDeadLettered(now - options.DeadWebhooks, batch, cancellationToken), cancellationToken);
        if (dead.Deliveries > 0)
            logger.LogInformation("Pruned {Deliveries} dead or never-sent webhook deliveries ({Attempts} attempts) that ended more than {Retention} ago",
                dead.Deliveries, dead.Attempts, options.DeadWebhooks);
    }

    async Task<PrunedDeliveries> Drain(Func<int, Task<PrunedDeliveries>> pruneBatch, CancellationToken cancellationToken)
    {
        var total = PrunedDeliveries.None;
        while (true)
        {
            var pruned = await pruneBatch(options.BatchSize);
            total += pruned;
            // A short batch: nothing is left, or another instance holds the rest.
            if (pruned.Deliveries < options.BatchSize) return total;
            cancellationToken.ThrowIfCancellationRequested();
        }
    }
}
