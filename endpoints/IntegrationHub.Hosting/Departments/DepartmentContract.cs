using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Hosting.Departments;

internal static class DepartmentContract
{
    /// <summary>What the department contract shares across the endpoints of a process: one rate limit per department.</summary>
    public static IServiceCollection AddDepartmentContract(this IServiceCollection services) =>
        services.AddSingleton<DepartmentRateLimiter>();
}
