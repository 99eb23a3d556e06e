using IntegrationHub.Hosting;
using IntegrationHub.Webhooks.Storage;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Webhooks;

public static class WebhooksHostingExtensions
{
    /// <summary>
    /// Runs the Webhooks endpoint (queue <c>hub.webhooks</c>) in this host and makes its deliveries readable
    /// through <see cref="IWebhookDeliveryReader"/> (for an ops API or console).
    /// </summary>
    public static IHostApplicationBuilder AddWebhooks(this IHostApplicationBuilder builder)
    {
        var endpoint = new WebhooksEndpoint();
        builder.AddHubEndpoint(endpoint);
        builder.Services.AddSingleton(sp => endpoint.Deliveries(sp.GetRequiredService<IOptions<HubOptions>>().Value));
        return builder;
    }
}
