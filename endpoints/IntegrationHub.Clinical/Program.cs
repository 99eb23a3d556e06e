using IntegrationHub.Hosting;

namespace IntegrationHub.Clinical;

/// <summary>The clinical endpoint alone: <c>dotnet run --project endpoints/IntegrationHub.Clinical</c>.</summary>
public sealed class Program
{
    public static int Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults();
        builder.AddHubEndpoint<ClinicalEndpoint>();

        var app = builder.Build();
        app.MapServiceDefaults();
        app.MapHubEndpoints();
        return app.RunHub();
    }
}
