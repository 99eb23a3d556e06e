using IntegrationHub.Hosting;

namespace IntegrationHub.Payments;

/// <summary>The Payments endpoint alone: <c>dotnet run --project endpoints/IntegrationHub.Payments</c>.</summary>
public sealed class Program
{
    public static int Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults();
        builder.AddHubEndpoint<PaymentsEndpoint>();

        var app = builder.Build();
        app.MapServiceDefaults();
        app.MapHubEndpoints();
        return app.RunHub();
    }
}
