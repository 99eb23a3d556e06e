namespace IntegrationHub.Providers;

/// <summary>Says at every start that a simulator stands in for a real system.</summary>
internal sealed class SimulatorNotice(string notice, ILogger<SimulatorNotice> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        logger.LogWarning("{Notice} (Hub:Simulators:Enabled)", notice);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
