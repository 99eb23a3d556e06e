using IntegrationHub.Gateway;
using IntegrationHub.Hosting;
using IntegrationHub.Providers;
using IntegrationHub.Providers.Api;
using IntegrationHub.Sample;
using IntegrationHub.Webhooks;
using IntegrationHub.Webhooks.Api;

namespace IntegrationHub.Host;

/// <summary>
/// The all-in-one hub: every endpoint in one process. By default in memory, with nothing to install (and
/// nothing durable); Hub__Transport=RabbitMq and Hub__Persistence=PostgreSql for the real thing.
/// </summary>
public sealed class Program
{
    public static void Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults();
        builder.AddDevelopmentSimulators();
        builder.AddGatewayApi();
        builder.AddHubEndpoint(new ProvidersEndpoint());
        builder.AddProvidersApi();
        builder.AddWebhooks();
        builder.AddHubEndpoint(new SampleEndpoint());

        var app = builder.Build();
        app.MapServiceDefaults();
        app.MapGatewayApi();
        app.MapProviderCallbacksApi();
        app.MapUnmatchedCallbacksApi();
        app.MapWebhookDeliveriesApi();
        app.MapDevelopmentSimulators();
        app.MapGet("/", () => Results.Redirect("/scalar/v1")).ExcludeFromDescription();
        app.Run();
    }
}
