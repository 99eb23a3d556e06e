using IntegrationHub.Hosting.Configuration;
using Microsoft.Extensions.Configuration;

namespace IntegrationHub.Hosting.Departments;

/// <summary>
/// A department (tenant) registered with the hub: section <c>Hub:Departments:{id}</c> (environment:
/// <c>Hub__Departments__health__RequestsPerMinute=600</c>). The id is the token's <c>department</c> claim, compared in
/// lower case. What a department has at one endpoint (its webhook URL, say) lives in that endpoint's section,
/// <c>Hub:{Endpoint}:Departments:{id}</c>.
/// </summary>
public sealed class DepartmentOptions
{
    public const string SectionName = "Hub:Departments";

    /// <summary>Requests per minute the department may make to the hub's department routes before getting 429.</summary>
    public int RequestsPerMinute { get; set; } = 600;

    /// <summary>A name for people (ops lists); optional.</summary>
    public string? DisplayName { get; set; }
}

/// <summary>All registered departments, by id. Ids are lower case everywhere: <see cref="Normalize"/> at every edge.</summary>
public sealed class DepartmentRegistry(IReadOnlyDictionary<string, DepartmentOptions> departments)
{
    public const int MaxIdLength = 64;

    public bool TryGet(string departmentId, out DepartmentOptions department) =>
        departments.TryGetValue(Normalize(departmentId), out department!);

    /// <summary>The one spelling of a department id the hub stores and compares: lower case (invariant).</summary>
    public static string Normalize(string departmentId) => departmentId.Trim().ToLowerInvariant();

    /// <summary>Null when <paramref name="departmentId"/> can be a department id; otherwise why not.</summary>
    public static string? Problem(string departmentId) =>
        departmentId.Length is 0 or > MaxIdLength ? $"a department id has 1 to {MaxIdLength} characters"
        : departmentId.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')) ? "a department id has only letters, digits, '-', '_' and '.'"
        : null;

    public static DepartmentRegistry From(IConfiguration configuration)
    {
        var problems = new List<string>();
        var map = new Dictionary<string, DepartmentOptions>(StringComparer.Ordinal);
        foreach (var child in configuration.GetSection(DepartmentOptions.SectionName).GetChildren())
        {
            var key = $"{DepartmentOptions.SectionName}:{child.Key}";
            if (Problem(child.Key) is { } problem)
            {
                problems.Add($"{key}: {problem}");
                continue;
            }
            var options = new DepartmentOptions();
            if (!SettingsBinding.TryBind(child, options, problems))
                continue;
            if (options.RequestsPerMinute < 1)
                problems.Add($"{key}:RequestsPerMinute must be at least 1");
            if (!map.TryAdd(Normalize(child.Key), options))
                problems.Add($"{key}: department '{Normalize(child.Key)}' is configured twice (ids are compared in lower case)");
        }
        HubSettingsException.ThrowIfAny(problems);
        return new DepartmentRegistry(map);
    }
}
