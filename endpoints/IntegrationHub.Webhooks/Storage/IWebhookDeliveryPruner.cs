namespace IntegrationHub.Webhooks.Storage;

/// <summary>
/// Forgets deliveries that ended long ago, with their attempts, one bounded batch per call (short transactions, so a
/// large backlog never holds locks for long). Pending deliveries are never pruned. Safe to run from several
/// instances at once: each batch takes only rows no other instance holds.
/// </summary>
public interface IWebhookDeliveryPruner
{
    /// <summary>Up to <paramref name="batchSize"/> delivered deliveries last delivered before <paramref name="before"/>.</summary>
    Task<PrunedDeliveries> PruneDelivered(DateTimeOffset before, int batchSize, CancellationToken cancellationToken = default);

    /// <summary>
    /// Up to <paramref name="batchSize"/> dead and no-callback-registered deliveries whose last attempt (their
    /// creation, when never attempted) was before <paramref name="before"/>.
    /// </summary>
    Task<PrunedDeliveries> PruneDeadLettered(DateTimeOffset before, int batchSize, CancellationToken cancellationToken = default);
}

public sealed record PrunedDeliveries(int Deliveries, int Attempts)
{
    public static readonly PrunedDeliveries None = new(0, 0);

    public static PrunedDeliveries operator +(PrunedDeliveries a, PrunedDeliveries b) => new(a.Deliveries + b.Deliveries, a.Attempts + b.Attempts);
}
