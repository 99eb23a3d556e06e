using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.RateLimiting;
using IntegrationHub.Hosting.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace IntegrationHub.Hosting.Departments;

public static class DepartmentRoutes
{
    /// <summary>
    /// The department contract's gate on every route of <paramref name="group"/>: after authorization, the token's
    /// department must be registered (<c>Hub:Departments</c>) and within its <c>RequestsPerMinute</c>, shared by all the
    /// department routes of the process (429 with <c>Retry-After</c> otherwise).
    /// </summary>
    public static RouteGroupBuilder RequireDepartment(this RouteGroupBuilder group) => group
        .AddEndpointFilter<DepartmentGate>()
        .ProducesProblem(StatusCodes.Status401Unauthorized)
        .ProducesProblem(StatusCodes.Status403Forbidden)
        .ProducesProblem(StatusCodes.Status429TooManyRequests);
}

internal sealed class DepartmentGate(DepartmentRegistry departments, DepartmentRateLimiter limiter) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var department = http.User.Department();
        if (department is null)
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "No department",
                detail: $"The token has no '{HubClaims.Department}' claim naming the department it acts for.");
        if (DepartmentRegistry.Problem(department) is not null || !departments.TryGet(department, out var options))
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Unknown department",
                detail: DepartmentRegistry.Problem(department) is null
                    ? $"Department '{department}' is not registered with this hub."
                    : "The token's department claim is not a department id registered with this hub.");

        using var lease = limiter.Acquire(department, options.RequestsPerMinute);
        if (!lease.IsAcquired)
        {
            var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
            var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
            http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests",
                detail: $"Department '{department}' may make {options.RequestsPerMinute} requests per minute; retry after {seconds} s.");
        }

        return await next(context);
    }
}

/// <summary>One fixed one-minute window per department, for all its department routes in this process.</summary>
internal sealed class DepartmentRateLimiter : IDisposable
{
    readonly ConcurrentDictionary<string, RateLimiter> _limiters = new(StringComparer.Ordinal);

    public RateLimitLease Acquire(string department, int requestsPerMinute) => _limiters.GetOrAdd(department, _ =>
        new FixedWindowRateLimiter(new FixedWindowRateLimiterOptions
        {
            PermitLimit = Math.Max(1, requestsPerMinute),
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        })).AttemptAcquire();

    public void Dispose()
    {
        foreach (var limiter in _limiters.Values)
            limiter.Dispose();
    }
}
