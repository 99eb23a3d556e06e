using IntegrationHub.Hosting;

namespace IntegrationHub.Gateway;

/// <summary>The gateway alone: <c>dotnet run --project endpoints/IntegrationHub.Gateway</c> (needs Hub__Auth__DevSigningKey or an authority).</summary>
public sealed class Program
{
    public static int Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults();
        builder.AddHubEndpoint<GatewayEndpoint>();

        var app = builder.Build();
        app.MapServiceDefaults();
        app.MapHubEndpoints();
        return app.RunHub();
    }
}
