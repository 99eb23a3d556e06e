using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Persistence;
using IntegrationHub.Hosting.Security;
using IntegrationHub.Notifications.Api;
using IntegrationHub.Notifications.Callbacks;
using IntegrationHub.Notifications.Development;
using IntegrationHub.Notifications.Sending;
using IntegrationHub.Notifications.Store;

namespace IntegrationHub.Notifications;

/// <summary>
/// Departments notify citizens by SMS and e-mail (README of this folder, docs/notifications.md): templates, requests of
/// one to many recipients, a saga per recipient message with provider failover and the unknown-outcome rule, receipts
/// at <c>/api/v1/notifications/callbacks/{provider}/{account}</c>. Queue <c>hub.notifications</c>, settings
/// <c>Hub:Notifications</c>, tables in schema <c>notifications</c>.
/// </summary>
public sealed class NotificationsEndpoint : HubEndpoint
{
    public const string EndpointName = "Notifications";

    public static MigrationSet MigrationSet { get; } = MigrationSet.FromAssembly("notifications", typeof(NotificationsEndpoint).Assembly);

    public override string Name => EndpointName;

    public override MigrationSet Migrations => MigrationSet;

    public override IEnumerable<HubScope> Scopes => [NotificationScopes.Read, NotificationScopes.Write];

    public override void Configure(HubEndpointBuilder endpoint)
    {
        endpoint
            .Settings(NotificationsOptions.From)
            .StatusResources(NotificationStatuses.Kind)
            .Store<INotificationStore>(_ => new InMemoryNotificationStore(),
                (sp, connectionString) => new PostgreSqlNotificationStore(connectionString, sp.GetRequiredService<HandlerDatabase>()))
            .Handler<NotificationSaga>()
            .Handler<BatchHandler>()
            .ExternalCallHandler<NotificationProviderCallHandler>();
        endpoint.Services.AddHttpClient(NotificationProviders.HttpClientName)
            .ConfigureHttpClient((sp, client) => client.Timeout = sp.GetRequiredService<NotificationsOptions>().ProviderTimeout);
        endpoint.Services.AddSingleton<NotificationProviders>();
    }

    public override void MapRoutes(IEndpointRouteBuilder routes)
    {
        routes.MapNotificationsApi();
        routes.MapNotificationCallbacks();
    }

    /// <summary>Twilio, SendGrid and an SMTP relay simulated for department <c>demo</c>: see <see cref="DemoNotifications"/>.</summary>
    public override void AddDevelopmentSimulators(IHostApplicationBuilder builder) => DemoNotifications.Add(builder);
}

public static class NotificationScopes
{
    public static HubScope Read { get; } = new("notifications:read", "Departments: follow their notifications and each recipient's state; read templates.");

    public static HubScope Write { get; } = new("notifications:write", "Departments' systems: send notifications and save templates.");
}
