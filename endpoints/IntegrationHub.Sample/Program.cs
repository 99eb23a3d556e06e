using IntegrationHub.Hosting;

namespace IntegrationHub.Sample;

/// <summary>The sample endpoint alone: <c>dotnet run --project endpoints/IntegrationHub.Sample</c>.</summary>
public sealed class Program
{
    public static int Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults();
        builder.AddHubEndpoint<SampleEndpoint>();

        var app = builder.Build();
        app.MapServiceDefaults();
        app.MapHubEndpoints();
        return app.RunHub();
    }
}
