namespace IntegrationHub.Webhooks;

internal sealed class InsecureCallbacksWarning(WebhookOptions options, ILogger<InsecureCallbacksWarning> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.AllowInsecureCallbacks)
            logger.LogWarning(
                "INSECURE WEBHOOKS: Hub:Webhooks:AllowInsecureCallbacks is on, so webhooks may go over plain http and to " +
                "loopback or private addresses. Development only: turn it off anywhere else.");
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
