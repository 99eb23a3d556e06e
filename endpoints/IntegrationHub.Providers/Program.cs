using IntegrationHub.Hosting;
using IntegrationHub.Providers.Api;

namespace IntegrationHub.Providers;

/// <summary>The provider exchange alone: <c>dotnet run --project endpoints/IntegrationHub.Providers</c>.</summary>
public sealed class Program
{
    public static void Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults();
        builder.AddHubEndpoint(new ProvidersEndpoint());
        builder.AddProvidersApi();

        var app = builder.Build();
        app.MapServiceDefaults();
        app.MapProviderCallbacksApi();
        app.Run();
    }
}
