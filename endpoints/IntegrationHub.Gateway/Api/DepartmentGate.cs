using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.RateLimiting;
using IntegrationHub.Hosting.Departments;
using IntegrationHub.Hosting.Security;

namespace IntegrationHub.Gateway.Api;

/// <summary>
/// Runs after authorization on every requests route: the token's department must be registered
/// (<c>Hub:Departments</c>), and stay within its <c>RequestsPerMinute</c> (429 with <c>Retry-After</c> otherwise).
/// </summary>
internal sealed class DepartmentGate(DepartmentRegistry departments, DepartmentRateLimiter limiter) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var department = http.User.Department();
        if (department is null)
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "No department",
                detail: $"The token has no '{HubClaims.Department}' claim naming the department it acts for.");
        if (!departments.TryGet(department, out var options))
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Unknown department",
                detail: $"Department '{department}' is not registered with this hub.");

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

/// <summary>One fixed one-minute window per department.</summary>
internal sealed class DepartmentRateLimiter : IDisposable
{
    readonly ConcurrentDictionary<string, RateLimiter> _limiters = new(StringComparer.OrdinalIgnoreCase);

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
