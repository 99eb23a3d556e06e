using IntegrationHub.Hosting;

namespace IntegrationHub.Providers;

/// <summary>The provider exchange alone: <c>dotnet run --project endpoints/IntegrationHub.Providers</c>.</summary>
public sealed class Program
{
    public static int Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults();
        builder.AddHubEndpoint<ProvidersEndpoint>();

        var app = builder.Build();
        app.MapServiceDefaults();
        app.MapHubEndpoints();
        return app.RunHub();
    }
}
