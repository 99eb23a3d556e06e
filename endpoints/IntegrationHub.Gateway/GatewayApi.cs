using IntegrationHub.Gateway.Api;
using IntegrationHub.Gateway.Store;
using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Persistence;
using IntegrationHub.Hosting.Security;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Scalar.AspNetCore;

namespace IntegrationHub.Gateway;

/// <summary>What a host calls to run the gateway: <c>builder.AddGatewayApi()</c> and <c>app.MapGatewayApi()</c>.</summary>
public static class GatewayApi
{
    /// <summary>
    /// JWT authentication, the request store (PostgreSQL or in memory, by <c>Hub:Persistence</c>), the Gateway endpoint
    /// (queue <c>hub.gateway</c>, status projection), per-department rate limits, problem details and the OpenAPI document.
    /// </summary>
    public static IHostApplicationBuilder AddGatewayApi(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        builder.AddHubCore();
        builder.AddHubAuthentication();

        var inMemoryStore = new InMemoryRequestStore();
        services.AddSingleton(inMemoryStore);
        services.TryAddSingleton<HandlerDatabase>();
        services.AddSingleton<PostgreSqlRequestStore>();
        services.AddSingleton<IRequestStore>(sp => RequestStores.Choose(sp, sp.GetRequiredService<IOptions<HubOptions>>().Value));
        services.AddSingleton(sp => ServiceCatalog.From(sp.GetRequiredService<IConfiguration>()));
        services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.SectionName)
            .Validate(o => o.MaxRequestBytes > 0, "Hub:Gateway:MaxRequestBytes must be positive").ValidateOnStart();
        services.AddSingleton<DepartmentRateLimiter>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddProblemDetails();
        services.AddOpenApi("v1", openApi => openApi.AddDocumentTransformer<GatewayOpenApiDocument>());

        builder.AddHubEndpoint(new GatewayEndpoint(inMemoryStore));
        return builder;
    }

    /// <summary>The requests API, <c>/openapi/v1.json</c> and the Scalar reference at <c>/scalar/v1</c>.</summary>
    public static WebApplication MapGatewayApi(this WebApplication app)
    {
        // Unhandled errors answer application/problem+json too (AddProblemDetails), without internals.
        app.UseExceptionHandler();
        app.MapRequestsApi();
        app.MapOpenApi();
        app.MapScalarApiReference();
        return app;
    }
}
