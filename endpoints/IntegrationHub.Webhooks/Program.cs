using IntegrationHub.Hosting;

namespace IntegrationHub.Webhooks;

/// <summary>The webhooks endpoint alone: <c>dotnet run --project endpoints/IntegrationHub.Webhooks</c>.</summary>
public sealed class Program
{
    public static int Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults();
        builder.AddHubEndpoint<WebhooksEndpoint>();

        var app = builder.Build();
        app.MapServiceDefaults();
        app.MapHubEndpoints();
        return app.RunHub();
    }
}
