using IntegrationHub.Adapters.Abdm.Gateway;

namespace IntegrationHub.Abdm.Linking;

/// <summary>
/// Registers <see cref="AbdmOptions.BridgeUrl"/> with the gateway once the hub has started, retrying with growing pauses
/// while the gateway is unavailable (the hub serves meanwhile; calls from ABDM go to whatever URL it had before).
/// A refusal is logged as an error for operators and not retried: the setting needs fixing.
/// </summary>
internal sealed class BridgeUrlRegistration(AbdmOptions options, IAbdmGateway gateway, ILogger<BridgeUrlRegistration> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.BridgeUrl is not { } bridge) return;
        var pause = TimeSpan.FromSeconds(2);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var answer = await gateway.RegisterBridgeUrl(bridge, stoppingToken);
                if (answer is AbdmGatewayAnswer.Refused refused)
                    logger.LogError("The ABDM gateway refused the bridge URL {BridgeUrl}: {Status} {Code}", bridge, refused.Status, refused.Code);
                else
                    logger.LogInformation("Bridge URL {BridgeUrl} registered with the ABDM gateway", bridge);
                return;
            }
            catch (AbdmGatewayUnavailableException exception)
            {
                logger.LogWarning("Could not register the bridge URL with the ABDM gateway ({Reason}); trying again in {Pause}", exception.Message, pause);
            }
            await Task.Delay(pause, stoppingToken);
            pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromMinutes(5).Ticks));
        }
    }
}
