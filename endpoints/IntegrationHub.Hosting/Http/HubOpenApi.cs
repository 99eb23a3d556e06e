using IntegrationHub.Hosting.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace IntegrationHub.Hosting.Http;

/// <summary>One OpenAPI document per process (<c>/openapi/v1.json</c>, Scalar at <c>/scalar/v1</c>) for every endpoint's routes.</summary>
internal static class HubOpenApi
{
    public static IServiceCollection AddHubOpenApi(this IServiceCollection services)
    {
        services.AddOpenApi("v1", openApi => openApi.AddDocumentTransformer<HubOpenApiDocument>());
        return services;
    }

    public static WebApplication MapHubOpenApi(this WebApplication app)
    {
        app.MapOpenApi();
        app.MapScalarApiReference();
        app.MapGet("/", () => Results.Redirect("/scalar/v1")).ExcludeFromDescription();
        return app;
    }
}

/// <summary>Title, how to authenticate (bearer JWT with a <c>department</c> claim and the endpoints' scopes) and the error format.</summary>
internal sealed class HubOpenApiDocument(IHostEnvironment environment, HubScopeRegistry scopes) : IOpenApiDocumentTransformer
{
    public const string SchemeName = "Bearer";

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        var scopeList = string.Join(", ", scopes.All.Select(s => $"`{s.Name}` ({s.Description.TrimEnd('.')})"));
        document.Info = new OpenApiInfo
        {
            Title = environment.ApplicationName.Replace('.', ' '),
            Version = "v1",
            Description =
                "Every department and operator call needs a bearer JWT: its `department` claim names the department it acts for " +
                $"and its `scope` claim grants what it may do: {(scopeList.Length > 0 ? scopeList : "no scope is needed here")}. " +
                "Errors are `application/problem+json` (RFC 9457) with `title`, `status` and `detail`; validation errors add " +
                "`errors` per field. Long-running work answers 202 with a status resource to poll and, when it ends, a signed webhook.",
        };
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[SchemeName] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description = "A token from the hub's identity provider (in development: `hubctl token --department <id> --scope <scope>`).",
        };
        document.Security ??= [];
        document.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeName, document)] = [] });
        return Task.CompletedTask;
    }
}
