using IntegrationHub.Hosting.Departments;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.Hosting.Retention;

/// <summary>Prunes one endpoint's status resources and idempotency keys past their retention, kind by kind.</summary>
internal sealed class StatusRetentionService(EndpointRuntime runtime, StatusRetentionOptions options, TimeProvider time, ILogger<StatusRetentionService> logger)
    : PruningService<StatusRetentionOptions>(options, time, logger)
{
    protected override string Subject => $"{runtime.Name}'s old status resources";

    public override async Task PruneOnce(CancellationToken cancellationToken)
    {
        var now = Time.GetUtcNow();
        var store = runtime.Status.Store;
        foreach (var kind in runtime.Status.Kinds)
        {
            var ended = await Drain(batch => store.PruneEnded(kind, now - Options.EndedResources, batch, cancellationToken), cancellationToken);
            var unfinished = await Drain(batch => store.PruneUnfinished(kind, now - Options.UnfinishedResources, batch, cancellationToken), cancellationToken);
            var keys = await Drain(batch => store.PruneIdempotencyKeys(kind, now - Options.IdempotencyKeys, batch, cancellationToken), cancellationToken);
            if (ended + unfinished + keys > 0)
                Logger.LogInformation(
                    "{Endpoint} pruned {Ended} {Kind}s that ended more than {EndedRetention} ago, {Unfinished} not updated for {UnfinishedRetention}, and {Keys} idempotency keys older than {KeyRetention}",
                    runtime.Name, ended, kind.Name, Options.EndedResources, unfinished, Options.UnfinishedResources, keys, Options.IdempotencyKeys);
        }
    }
}
