using IntegrationHub.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rebus.Bus;

namespace IntegrationHub.Testing;

/// <summary>
/// A real generic host with the hub's hosting, one or more endpoints, and the settings a test chooses
/// (transport, storage, retries). Endpoint names are unique per test so tests never share queues.
/// </summary>
public sealed class HubTestHost : IAsyncDisposable
{
    readonly IHost _host;

    HubTestHost(IHost host) => _host = host;

    public IServiceProvider Services => _host.Services;

    public IBus Bus(string endpointName) => _host.Services.GetRequiredService<HubBusRegistry>().Get(endpointName);

    public static async Task<HubTestHost> Start(IDictionary<string, string?> settings, params HubEndpoint[] endpoints)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Development" });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.SetMinimumLevelForTests();
        foreach (var endpoint in endpoints)
            builder.AddHubEndpoint(endpoint);
        var host = builder.Build();
        await host.StartAsync();
        return new HubTestHost(host);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync(TimeSpan.FromSeconds(10));
        _host.Dispose();
    }
}

static class LoggingForTests
{
    public static void SetMinimumLevelForTests(this Microsoft.Extensions.Logging.ILoggingBuilder logging)
    {
        logging.ClearProviders();
        logging.AddConsole();
        logging.SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Warning);
    }
}
