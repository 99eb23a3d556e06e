using IntegrationHub.Hosting;

namespace IntegrationHub.Notifications;

/// <summary>The Notifications endpoint alone: <c>dotnet run --project endpoints/IntegrationHub.Notifications</c>.</summary>
public sealed class Program
{
    public static int Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults();
        builder.AddHubEndpoint<NotificationsEndpoint>();

        var app = builder.Build();
        app.MapServiceDefaults();
        app.MapHubEndpoints();
        return app.RunHub();
    }
}
