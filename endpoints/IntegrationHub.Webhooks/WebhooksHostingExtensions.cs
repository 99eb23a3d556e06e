using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Security;
using IntegrationHub.Webhooks.Storage;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Webhooks;

public static class WebhooksHostingExtensions
{
    /// <summary>
    /// Runs the Webhooks endpoint (queue <c>hub.webhooks</c>) in this host, makes its deliveries readable through
    /// <see cref="IWebhookDeliveryReader"/>, and registers what the ops API (<c>app.MapWebhookDeliveriesApi()</c>)
    /// needs: JWT authentication (<c>Hub:Auth</c> must be configured) and problem details.
    /// </summary>
    public static IHostApplicationBuilder AddWebhooks(this IHostApplicationBuilder builder)
    {
        var endpoint = new WebhooksEndpoint();
        builder.AddHubEndpoint(endpoint);
        builder.AddHubAuthentication();
        builder.Services.AddProblemDetails();
        builder.Services.AddSingleton(sp => endpoint.Deliveries(sp.GetRequiredService<IOptions<HubOptions>>().Value));
        return builder;
    }
}
