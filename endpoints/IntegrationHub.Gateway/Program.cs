using IntegrationHub.Hosting;

namespace IntegrationHub.Gateway;

/// <summary>The gateway alone: <c>dotnet run --project endpoints/IntegrationHub.Gateway</c> (needs Hub__Auth__DevSigningKey or an authority).</summary>
public sealed class Program
{
    public static void Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults();
        builder.AddGatewayApi();

        var app = builder.Build();
        app.MapServiceDefaults();
        app.MapGatewayApi();
        app.Run();
    }
}
