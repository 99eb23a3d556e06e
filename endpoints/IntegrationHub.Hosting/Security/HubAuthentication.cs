using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace IntegrationHub.Hosting.Security;

public static class HubAuthentication
{
    /// <summary>
    /// JWT bearer authentication from <c>Hub:Auth</c> (see <see cref="HubAuthOptions"/>), one authorization policy per
    /// scope (<see cref="HubScopes"/>), and 401/403 answered as <c>application/problem+json</c>. The process refuses
    /// to start when neither an authority nor a long enough dev key is configured. Safe to call more than once.
    /// </summary>
    public static IHostApplicationBuilder AddHubAuthentication(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        if (services.Any(s => s.ServiceType == typeof(HubAuthOptionsValidator)))
            return builder;

        services.AddSingleton<HubAuthOptionsValidator>();
        services.AddSingleton<IValidateOptions<HubAuthOptions>>(sp => sp.GetRequiredService<HubAuthOptionsValidator>());
        services.AddOptions<HubAuthOptions>().BindConfiguration(HubAuthOptions.SectionName)
            .PostConfigure(o =>
            {
                if (string.IsNullOrEmpty(o.DevSigningKey) && !string.IsNullOrEmpty(o.DevSigningKeyFile))
                    o.DevSigningKey = DevKeyFile.ReadOrCreate(o.DevSigningKeyFile);
            })
            .ValidateOnStart();
        services.AddHostedService<DevKeyWarning>();

        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<HubAuthOptions>>((jwt, hub) => Configure(jwt, hub.Value));

        services.AddAuthorization(authorization =>
        {
            foreach (var scope in HubScopes.All)
                authorization.AddPolicy(scope, policy => policy.RequireAuthenticatedUser().AddRequirements(new ScopeRequirement(scope)));
        });
        services.AddSingleton<IAuthorizationHandler, ScopeHandler>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, ProblemAuthorizationResultHandler>();
        return builder;
    }

    static void Configure(JwtBearerOptions jwt, HubAuthOptions hub)
    {
        // Keep claim names as issued ("scope", "department"), not mapped to long WS-Federation URIs.
        jwt.MapInboundClaims = false;
        jwt.TokenValidationParameters.NameClaimType = "sub";
        jwt.TokenValidationParameters.ClockSkew = TimeSpan.FromSeconds(30);
        if (!hub.UsesDevKey)
        {
            jwt.Authority = hub.Authority;
            jwt.Audience = hub.Audience;
            jwt.RequireHttpsMetadata = hub.RequireHttpsMetadata;
            return;
        }

        jwt.TokenValidationParameters.ValidIssuer = DevTokens.Issuer;
        jwt.TokenValidationParameters.ValidAudience = DevTokens.Audience;
        jwt.TokenValidationParameters.IssuerSigningKey = DevTokens.SigningKey(hub.DevSigningKey!);
        jwt.TokenValidationParameters.ValidAlgorithms = [SecurityAlgorithms.HmacSha256];
    }
}

internal sealed class HubAuthOptionsValidator : IValidateOptions<HubAuthOptions>
{
    public ValidateOptionsResult Validate(string? name, HubAuthOptions options) =>
        options.Problem() is { } problem ? ValidateOptionsResult.Fail(problem) : ValidateOptionsResult.Success;
}

internal sealed class DevKeyWarning(IOptions<HubAuthOptions> options, ILogger<DevKeyWarning> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.UsesDevKey)
            logger.LogWarning(
                "DEVELOPMENT AUTHENTICATION: tokens are checked against the shared dev signing key (Hub:Auth:DevSigningKey) " +
                "and anyone holding it can act for any department. Configure Hub:Auth:Authority and Hub:Auth:Audience in production.");
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
