using IntegrationHub.Hosting;

namespace IntegrationHub.Abdm;

/// <summary>The ABDM endpoint alone: <c>dotnet run --project endpoints/IntegrationHub.Abdm</c>.</summary>
public sealed class Program
{
    public static int Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults();
        builder.AddHubEndpoint<AbdmEndpoint>();

        var app = builder.Build();
        app.MapServiceDefaults();
        app.MapHubEndpoints();
        return app.RunHub();
    }
}
