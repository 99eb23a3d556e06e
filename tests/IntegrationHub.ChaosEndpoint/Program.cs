using IntegrationHub.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.ChaosEndpoint;

/// <summary>
/// Hosts one <see cref="ChaosEndpoint"/> named by <c>Chaos:Endpoint</c> (env <c>Chaos__Endpoint</c>) — or, for
/// <c>Chaos:Endpoint=Providers</c>, the real Providers endpoint; all hub settings
/// come from the environment (<c>Hub__Transport</c>, <c>Hub__Persistence</c>, <c>ConnectionStrings__*</c>...).
/// Prints <see cref="ReadyLine"/> once the endpoint is consuming, for the process that started it.
/// </summary>
public static class Program
{
    public const string ReadyLine = "CHAOS-ENDPOINT-READY";

    public static void Main(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(args);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });

        var name = builder.Configuration["Chaos:Endpoint"];
        if (string.IsNullOrWhiteSpace(name))
            throw new InvalidOperationException("Set Chaos:Endpoint (env Chaos__Endpoint) to the name of the endpoint to host.");
        builder.AddHubEndpoint(name == Providers.ProvidersEndpoint.EndpointName ? new Providers.ProvidersEndpoint() : new ChaosEndpoint(name));

        using var host = builder.Build();
        host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStarted.Register(() =>
            Console.Out.WriteLine($"{ReadyLine} endpoint={name} pid={Environment.ProcessId}"));
        host.Run();
    }
}
