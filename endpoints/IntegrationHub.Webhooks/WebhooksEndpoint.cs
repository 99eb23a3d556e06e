using IntegrationHub.Contracts.Requests.Events;
using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Persistence;
using IntegrationHub.Webhooks.Delivery;
using IntegrationHub.Webhooks.Retention;
using IntegrationHub.Webhooks.Storage;
using Rebus.Config;

namespace IntegrationHub.Webhooks;

/// <summary>
/// Calls departments back with signed webhooks when their requests end (completed, failed, timed out), retries
/// with backoff over hours, dead-letters what cannot be delivered and replays it on an operator's command, and
/// forgets ended deliveries after their retention (<c>Hub:Retention</c>).
/// </summary>
public sealed class WebhooksEndpoint : HubEndpoint
{
    // Shared by the endpoint's container and the host's, so deliveries are visible in embedded mode too.
    readonly InMemoryWebhookDeliveryStore _inMemory = new();

    public const string EndpointName = "Webhooks";

    public override string Name => EndpointName;

    public override IEnumerable<Type> Subscriptions => [typeof(RequestCompleted), typeof(RequestFailed), typeof(RequestTimedOut)];

    public static MigrationSet MigrationSet { get; } = MigrationSet.FromAssembly("webhooks", typeof(WebhooksEndpoint).Assembly);

    public override MigrationSet Migrations => MigrationSet;

    public override void ConfigureServices(IServiceCollection services, IConfiguration configuration)
    {
        var options = WebhookOptions.From(configuration);
        services.AddSingleton(options);
        services.AddSingleton(WebhookRetentionOptions.From(configuration));
        services.AddSingleton(new CallbackUrlPolicy(options.AllowInsecureCallbacks));
        services.AddSingleton<IWebhookDeliveryStore>(sp => sp.GetRequiredService<HubOptions>().Persistence == HubPersistence.PostgreSql
            ? new PostgreSqlWebhookDeliveryStore(sp.GetRequiredService<HandlerDatabase>())
            : _inMemory);
        services.AddSingleton<IWebhookDeliveryPruner>(sp => sp.GetRequiredService<HubOptions>() is { Persistence: HubPersistence.PostgreSql } hub
            ? new PostgreSqlWebhookDeliveryPruner(hub.PostgresConnectionString)
            : _inMemory);
        services.AddHttpClient(WebhookSender.ClientName, http => http.Timeout = options.AttemptTimeout)
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                ConnectCallback = sp.GetRequiredService<CallbackUrlPolicy>().ConnectAsync,
                AllowAutoRedirect = false, // a redirect would lead the hub where the policy never looked
                UseProxy = false,
                PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            });
        services.AddSingleton<WebhookSender>();
        services.AddHostedService<InsecureCallbacksWarning>();
        services.AddHostedService<WebhookRetentionService>();

        services.AddRebusHandler<RequestEndedHandler>();
        services.AddRebusHandler<WebhookAttemptHandler>();
        services.AddRebusHandler<WebhookReplayHandler>();
    }

    /// <summary>Reads the deliveries this endpoint keeps, wherever <paramref name="hub"/> says they are stored.</summary>
    public IWebhookDeliveryReader Deliveries(HubOptions hub) => hub.Persistence == HubPersistence.PostgreSql
        ? new PostgreSqlWebhookDeliveryReader(hub.PostgresConnectionString)
        : _inMemory;
}
