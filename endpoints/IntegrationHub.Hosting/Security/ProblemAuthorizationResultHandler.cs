using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.Tokens;

namespace IntegrationHub.Hosting.Security;

/// <summary>
/// Answers a missing/invalid token (401, with the usual <c>WWW-Authenticate</c> challenge) and a missing scope (403)
/// with an <c>application/problem+json</c> body that says what to fix.
/// </summary>
internal sealed class ProblemAuthorizationResultHandler : IAuthorizationMiddlewareResultHandler
{
    readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult result)
    {
        if (result.Challenged)
        {
            await context.ChallengeAsync();
            await TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized",
                detail: await WhyUnauthenticated(context)).ExecuteAsync(context);
            return;
        }

        if (result.Forbidden)
        {
            await context.ForbidAsync();
            var missing = result.AuthorizationFailure?.FailedRequirements.OfType<ScopeRequirement>().Select(r => r.Scope).ToList() ?? [];
            await TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden",
                detail: missing.Count > 0
                    ? $"The token lacks the scope this operation needs: {string.Join(", ", missing)}."
                    : "The token does not allow this operation.").ExecuteAsync(context);
            return;
        }

        await _default.HandleAsync(next, context, policy, result);
    }

    // The handler caches its result per request: this does not validate the token a second time.
    static async Task<string> WhyUnauthenticated(HttpContext context) =>
        (await context.AuthenticateAsync()).Failure switch
        {
            null => "A bearer token is required (Authorization: Bearer <token>).",
            SecurityTokenExpiredException => "The bearer token has expired; get a new one.",
            _ => "The bearer token is not valid for this hub (signature, issuer or audience).",
        };
}
