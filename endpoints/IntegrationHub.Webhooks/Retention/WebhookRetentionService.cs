using IntegrationHub.Hosting.Retention;
using IntegrationHub.Webhooks.Storage;

namespace IntegrationHub.Webhooks.Retention;

/// <summary>Removes ended deliveries past their retention (see <see cref="PruningService{TOptions}"/>).</summary>
internal sealed class WebhookRetentionService(IWebhookDeliveryPruner pruner, WebhookRetentionOptions options, TimeProvider time,
    ILogger<WebhookRetentionService> logger) : PruningService<WebhookRetentionOptions>(options, time, logger)
{
    protected override string Subject => "old webhook deliveries";

    public override async Task PruneOnce(CancellationToken cancellationToken)
    {
        var now = Time.GetUtcNow();
        var attempts = 0;
        var delivered = await Drain(async batch =>
        {
            var pruned = await pruner.PruneDelivered(now - Options.Delivered, batch, cancellationToken);
            attempts += pruned.Attempts;
            return pruned.Deliveries;
        }, cancellationToken);
        if (delivered > 0)
            Logger.LogInformation("Pruned {Deliveries} delivered webhook deliveries ({Attempts} attempts) delivered more than {Retention} ago",
                delivered, attempts, Options.Delivered);

        attempts = 0;
        var dead = await Drain(async batch =>
        {
            var pruned = await pruner.PruneDeadLettered(now - Options.Dead, batch, cancellationToken);
            attempts += pruned.Attempts;
            return pruned.Deliveries;
        }, cancellationToken);
        if (dead > 0)
            Logger.LogInformation("Pruned {Deliveries} dead or never-sent webhook deliveries ({Attempts} attempts) that ended more than {Retention} ago",
                dead, attempts, Options.Dead);
    }
}
