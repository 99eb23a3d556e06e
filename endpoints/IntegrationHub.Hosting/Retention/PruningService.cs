using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.Hosting.Retention;

/// <summary>
/// Prunes an endpoint's history at start and then every <see cref="RetentionOptions.Interval"/>; a failed pruning is
/// logged and tried again next time. Every instance of the endpoint runs it: the stores delete in batches of rows
/// nobody else has locked, so instances share the work.
/// </summary>
public abstract class PruningService<TOptions>(TOptions options, TimeProvider time, ILogger logger) : BackgroundService
    where TOptions : RetentionOptions
{
    protected TOptions Options => options;
    protected TimeProvider Time => time;
    protected ILogger Logger => logger;

    /// <summary>What is pruned, for the log ("old provider exchanges").</summary>
    protected abstract string Subject { get; }

    /// <summary>One pruning: every kind of row, batch after batch until none is left.</summary>
    public abstract Task PruneOnce(CancellationToken cancellationToken);

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
                    logger.LogWarning(exception, "Pruning {Subject} failed; it runs again in {Interval}", Subject, options.Interval);
                }
            } while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Runs <paramref name="pruneBatch"/> (rows removed, at most the batch size) until a batch comes back short.</summary>
    protected async Task<int> Drain(Func<int, Task<int>> pruneBatch, CancellationToken cancellationToken)
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
