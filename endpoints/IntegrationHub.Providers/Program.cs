using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Security;
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
        builder.AddHubAuthentication(); // for the operators' list; provider callbacks are verified by signature

        var app = builder.Build();
        // Unhandled errors answer application/problem+json too, without internals.
        app.UseExceptionHandler();
        app.MapServiceDefaults();
        app.MapProviderCallbacksApi();
        app.MapUnmatchedCallbacksApi();
        app.Run();
    }
}
