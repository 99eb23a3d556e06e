using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;

namespace IntegrationHub.Hosting.Security;

public sealed record ScopeRequirement(string Scope) : IAuthorizationRequirement;

internal sealed class ScopeHandler : AuthorizationHandler<ScopeRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ScopeRequirement requirement)
    {
        if (context.User.Scopes().Contains(requirement.Scope, StringComparer.Ordinal))
            context.Succeed(requirement);
        return Task.CompletedTask;
    }
}

public static class HubClaimsPrincipalExtensions
{
    /// <summary>The scopes of the token: space-separated <c>scope</c> (OAuth2) and <c>scp</c> values.</summary>
    public static IEnumerable<string> Scopes(this ClaimsPrincipal user) => user.Claims
        .Where(c => c.Type is HubClaims.Scope or "scp")
        .SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries));

    /// <summary>The department (tenant) the token acts for, in the one spelling the hub stores (lower case); null when it names none.</summary>
    public static string? Department(this ClaimsPrincipal user) =>
        user.FindFirst(HubClaims.Department)?.Value is { Length: > 0 } department ? Departments.DepartmentRegistry.Normalize(department) : null;
}
