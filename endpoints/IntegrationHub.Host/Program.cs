using IntegrationHub.Abdm;
using IntegrationHub.Clinical;
using IntegrationHub.Gateway;
using IntegrationHub.Hosting;
using IntegrationHub.Notifications;
using IntegrationHub.Payments;
using IntegrationHub.Providers;
using IntegrationHub.Sample;
using IntegrationHub.Webhooks;

namespace IntegrationHub.Host;

/// <summary>
/// The all-in-one hub: every endpoint in one process, each listed once. By default in memory, with nothing to install
/// (and nothing durable); Hub__Transport=RabbitMq and Hub__Persistence=PostgreSql for the real thing.
/// </summary>
public sealed class Program
{
    public static int Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults();
        builder.AddHubEndpoint<GatewayEndpoint>();
        builder.AddHubEndpoint<ProvidersEndpoint>();
        builder.AddHubEndpoint<WebhooksEndpoint>();
        builder.AddHubEndpoint<SampleEndpoint>();
        builder.AddHubEndpoint<ClinicalEndpoint>();
        builder.AddHubEndpoint<AbdmEndpoint>();
        builder.AddHubEndpoint<PaymentsEndpoint>();
        builder.AddHubEndpoint<NotificationsEndpoint>();

        var app = builder.Build();
        app.MapServiceDefaults();
        app.MapHubEndpoints();
        return app.RunHub();
    }
}
