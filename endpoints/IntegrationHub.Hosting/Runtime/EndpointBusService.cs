using IntegrationHub.Hosting.Bus;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rebus.Bus;
using Rebus.Config;
using Rebus.Transport.InMem;

namespace IntegrationHub.Hosting.Runtime;

/// <summary>
/// Starts one endpoint's bus when the process starts (its handlers come from the process's container, see
/// <see cref="EndpointHandlerActivator"/>), subscribes it to its events, and stops it when the process stops —
/// after what its API handed over has been committed and sent.
/// </summary>
internal sealed class EndpointBusService(EndpointRuntime runtime, IServiceProvider services) : IHostedService, IAsyncDisposable
{
    IBus? _bus;
    int _stopping;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var endpoint = runtime.Endpoint;
        var loggerFactory = services.GetRequiredService<ILoggerFactory>();
        var activator = new EndpointHandlerActivator(services, runtime);
        Configuration.HubSettingsException.ThrowIfAny(activator.MissingDependencies());
        var rebus = Configure.With(activator);
        HubBusConfiguration.Configure(rebus, runtime, services.GetRequiredService<InMemNetwork>(), loggerFactory);
        var starter = rebus.Create();
        _bus = starter.Bus;
        foreach (var eventType in endpoint.Subscriptions)
            await _bus.Subscribe(eventType);
        starter.Start();
        runtime.Started(_bus);
        loggerFactory.CreateLogger<EndpointBusService>().LogInformation(
            "Endpoint {Endpoint} is receiving from {Queue} ({Transport} transport, {Persistence} storage)",
            endpoint.Name, endpoint.QueueName, runtime.Options.Transport, runtime.Options.Persistence);
    }

    // A web host may be stopped twice at once (app.Run's shutdown and a test's dispose): the first stop does the work.
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopping, 1) == 1) return;
        runtime.Stopped();
        await runtime.Transactions.DisposeAsync(); // what the API handed over is committed and sent while the bus still runs
        _bus?.Dispose();
        _bus = null;
    }

    public ValueTask DisposeAsync()
    {
        _bus?.Dispose();
        _bus = null;
        return ValueTask.CompletedTask;
    }
}
