namespace IntegrationHub.Hosting.Departments;

/// <summary>
/// The departments (tenants) that use the hub, from configuration section <c>Hub:Departments:{id}</c>
/// (environment: <c>Hub__Departments__health__WebhookSecret=...</c>). The id is the value of the token's
/// <c>department</c> claim. Secrets come from the environment or a secret store, never from the repository.
/// </summary>
public sealed class DepartmentOptions
{
    public const string SectionName = "Hub:Departments";

    /// <summary>Where the department receives signed webhooks when its requests end. Registered here only: never taken from a request.</summary>
    public Uri? CallbackUrl { get; set; }

    /// <summary>HMAC-SHA256 key for the <c>Hub-Signature</c> header of its webhooks.</summary>
    public string? WebhookSecret { get; set; }

    /// <summary>Requests per minute the gateway accepts from the department before answering 429.</summary>
    public int RequestsPerMinute { get; set; } = 600;
}

/// <summary>All configured departments, by id (case-insensitive).</summary>
public sealed class DepartmentRegistry(IReadOnlyDictionary<string, DepartmentOptions> departments)
{
    public bool TryGet(string departmentId, out DepartmentOptions department)
    {
        if (departments.TryGetValue(departmentId, out var found))
        {
            department = found;
            return true;
        }
        department = null!;
        return false;
    }

    public IEnumerable<string> Ids => departments.Keys;

    public static DepartmentRegistry From(Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        var section = configuration.GetSection(DepartmentOptions.SectionName);
        var map = new Dictionary<string, DepartmentOptions>(StringComparer.OrdinalIgnoreCase);
        foreach (var child in section.GetChildren())
        {
            var options = new DepartmentOptions();
            Microsoft.Extensions.Configuration.ConfigurationBinder.Bind(child, options);
            map[child.Key] = options;
        }
        return new DepartmentRegistry(map);
    }
}
