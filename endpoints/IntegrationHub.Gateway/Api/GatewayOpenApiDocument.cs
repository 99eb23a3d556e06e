using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace IntegrationHub.Gateway.Api;

/// <summary>Title, how to authenticate (bearer JWT with a <c>department</c> claim and scopes) and the error format.</summary>
internal sealed class GatewayOpenApiDocument : IOpenApiDocumentTransformer
{
    public const string SchemeName = "Bearer";

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info = new OpenApiInfo
        {
            Title = "IntegrationHub Gateway",
            Version = "v1",
            Description =
                "Departments submit requests to the hub's services and follow them until they complete, fail or time out. " +
                "Every call needs a bearer JWT whose `department` claim names the department and whose `scope` claim " +
                "grants `requests:write` (submit) or `requests:read` (status). Errors are `application/problem+json` " +
                "(RFC 9457) with `title`, `status` and `detail`; validation errors add `errors` per field.",
        };
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[SchemeName] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description = "A token from the hub's identity provider (in development: `hubctl token --department <id> --scope requests:write`).",
        };
        document.Security ??= [];
        document.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeName, document)] = [] });
        return Task.CompletedTask;
    }
}
