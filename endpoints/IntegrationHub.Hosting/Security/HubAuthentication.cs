using IntegrationHub.Hosting.Configuration;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace IntegrationHub.Hosting.Security;

internal static class HubAuthentication
{
    /// <summary>
    /// JWT bearer authentication from <c>Hub:Auth</c> (see <see cref="HubAuthOptions"/>), one authorization policy per
    /// scope the process's endpoints declare (<see cref="HubScopeRegistry"/>), and 401/403 answered as
    /// <c>application/problem+json</c>. When an endpoint declares a scope, the process refuses to start without an
    /// authority or a long enough dev key. Added once per process, by Hosting.
    /// </summary>
    public static IServiceCollection AddHubAuthentication(this IServiceCollection services)
    {
        services.AddSingleton<IValidateOptions<HubAuthOptions>, HubAuthOptionsValidator>();
        services.AddOptions<HubAuthOptions>().BindConfiguration(HubAuthOptions.SectionName)
            .PostConfigure(o =>
            {
                if (string.IsNullOrEmpty(o.DevSigningKey) && !string.IsNullOrEmpty(o.DevSigningKeyFile))
                    o.DevSigningKey = DevKeyFile.ReadOrCreate(o.DevSigningKeyFile);
            });
        services.AddSingleton(new SettingsCheck(sp => sp.GetRequiredService<IOptions<HubAuthOptions>>().Value));
        services.AddHostedService<DevKeyWarning>();

        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<HubAuthOptions>>((jwt, hub) => Configure(jwt, hub.Value));

        services.AddAuthorization();
        services.AddOptions<AuthorizationOptions>().Configure<HubScopeRegistry>((authorization, scopes) =>
        {
            foreach (var scope in scopes.All)
                authorization.AddPolicy(scope.Name, policy => policy.RequireAuthenticatedUser().AddRequirements(new ScopeRequirement(scope.Name)));
        });
        services.AddSingleton<IAuthorizationHandler, ScopeHandler>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, ProblemAuthorizationResultHandler>();
        return services;
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

/// <summary>Token validation must be configured as soon as one endpoint of the process has a protected route.</summary>
internal sealed class HubAuthOptionsValidator(HubScopeRegistry scopes) : IValidateOptions<HubAuthOptions>
{
    public ValidateOptionsResult Validate(string? name, HubAuthOptions options)
    {
        if (scopes.All.Count == 0 && string.IsNullOrEmpty(options.Authority) && string.IsNullOrEmpty(options.DevSigningKey))
            return ValidateOptionsResult.Success; // no endpoint here needs tokens
        return options.Problem() is { } problem ? ValidateOptionsResult.Fail(problem) : ValidateOptionsResult.Success;
    }
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
