using IntegrationHub.Hosting;
using IntegrationHub.Webhooks.Api;

namespace IntegrationHub.Webhooks;

/// <summary>The webhooks endpoint alone: <c>dotnet run --project endpoints/IntegrationHub.Webhooks</c>.</summary>
public sealed class Program
{
    public static void Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults();
        builder.AddWebhooks();

        var app = builder.Build();
        // Unhandled errors answer application/problem+json too, without internals.
        app.UseExceptionHandler();
        app.MapServiceDefaults();
        app.MapWebhookDeliveriesApi();
        app.Run();
    }
}
