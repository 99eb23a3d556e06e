using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Configuration;
using IntegrationHub.Hosting.Persistence;
using IntegrationHub.Hosting.Security;
using IntegrationHub.Webhooks.Api;
using IntegrationHub.Webhooks.Delivery;
using IntegrationHub.Webhooks.Development;
using IntegrationHub.Webhooks.Retention;
using IntegrationHub.Webhooks.Storage;

namespace IntegrationHub.Webhooks;

/// <summary>
/// Calls departments back with signed webhooks for every department event (README of this folder, docs/webhooks.md):
/// one envelope for all, retried with backoff over hours, dead-lettered, replayed on an operator's command, and
/// forgotten after its retention. Queue <c>hub.webhooks</c>, settings <c>Hub:Webhooks</c>, ops routes under
/// <c>/api/v1/webhooks/deliveries</c> (scope <c>ops</c>), hubctl verb <c>webhooks</c>.
/// </summary>
public sealed class WebhooksEndpoint : HubEndpoint
{
    public const string EndpointName = "Webhooks";

    public static MigrationSet MigrationSet { get; } = MigrationSet.FromAssembly("webhooks", typeof(WebhooksEndpoint).Assembly);

    public override string Name => EndpointName;

    public override MigrationSet Migrations => MigrationSet;

    /// <summary>Every event an endpoint maps to a webhook type (<see cref="WebhookCatalog"/>).</summary>
    public override IEnumerable<Type> Subscriptions => WebhookCatalog.EventTypes;

    public override IEnumerable<HubScope> Scopes => [HubScopes.Operators];

    public override IEnumerable<MovedSetting> MovedSettings =>
    [
        new("Hub:Departments:*:CallbackUrl", WebhookOptions.DepartmentsSection + ":*:CallbackUrl"),
        new("Hub:Departments:*:WebhookSecret", WebhookOptions.DepartmentsSection + ":*:Secret"),
        new("Hub:Retention:DeliveredWebhooks", "Hub:Webhooks:Retention:Delivered"),
        new("Hub:Retention:DeadWebhooks", "Hub:Webhooks:Retention:Dead"),
    ];

    public override void Configure(HubEndpointBuilder endpoint)
    {
        endpoint
            .Settings(WebhookOptions.From)
            .Settings(WebhookRetentionOptions.From)
            .Store<IWebhookDeliveryStore>(sp => sp.GetRequiredService<InMemoryWebhookDeliveryStore>(),
                (sp, _) => new PostgreSqlWebhookDeliveryStore(sp.GetRequiredService<HandlerDatabase>()))
            .Store<IWebhookDeliveryReader>(sp => sp.GetRequiredService<InMemoryWebhookDeliveryStore>(),
                (_, connectionString) => new PostgreSqlWebhookDeliveryReader(connectionString))
            .Store<IWebhookDeliveryPruner>(sp => sp.GetRequiredService<InMemoryWebhookDeliveryStore>(),
                (_, connectionString) => new PostgreSqlWebhookDeliveryPruner(connectionString))
            .Handler<DepartmentEventHandler>()
            .ExternalCallHandler<WebhookAttemptHandler>()
            .Handler<WebhookReplayHandler>();

        var services = endpoint.Services;
        services.AddSingleton<InMemoryWebhookDeliveryStore>();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<WebhookOptions>();
            return new CallbackUrlPolicy(options.AllowInsecureCallbacks, options.AllowedPorts);
        });
        services.AddHttpClient(WebhookSender.ClientName, (sp, http) => http.Timeout = sp.GetRequiredService<WebhookOptions>().AttemptTimeout)
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
    }

    public override void MapRoutes(IEndpointRouteBuilder routes) => routes.MapWebhookDeliveriesApi();

    public override IEnumerable<string> DevelopmentConveniences(IConfiguration configuration) =>
        configuration.GetValue<bool>("Hub:Webhooks:AllowInsecureCallbacks")
            ? ["Hub:Webhooks:AllowInsecureCallbacks (webhooks over plain http and to loopback or private addresses)"]
            : [];

    /// <summary>A simulated department system for department <c>demo</c>, receiving its webhooks at <c>/dev/webhook-receiver</c>.</summary>
    public override void AddDevelopmentSimulators(IHostApplicationBuilder builder) => DemoWebhookReceiver.Add(builder);

    public override void MapDevelopmentSimulators(IEndpointRouteBuilder routes) => DemoWebhookReceiver.Map(routes);
}
