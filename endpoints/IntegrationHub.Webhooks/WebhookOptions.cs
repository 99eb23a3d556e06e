using IntegrationHub.Hosting.Configuration;
using IntegrationHub.Hosting.Departments;
using IntegrationHub.Webhooks.Delivery;

namespace IntegrationHub.Webhooks;

/// <summary>
/// Configuration section <c>Hub:Webhooks</c>: the retry schedule, the attempt timeout, the development switch for
/// insecure callback URLs, and each department's subscription (<c>Hub:Webhooks:Departments:{id}</c>).
/// </summary>
public sealed class WebhookOptions
{
    public const string SectionName = "Hub:Webhooks";
    public const string DepartmentsSection = SectionName + ":Departments";

    public static readonly IReadOnlyList<TimeSpan> DefaultRetrySchedule =
    [
        TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30),
        TimeSpan.FromHours(2), TimeSpan.FromHours(6), TimeSpan.FromHours(12),
    ];

    /// <summary>
    /// Waits between a failed attempt and the next one; after the last, the delivery is dead. Null (not an empty
    /// default) because configuration binding appends to arrays.
    /// </summary>
    public TimeSpan[]? RetrySchedule { get; set; }

    /// <summary>Development only: allows <c>http</c> callback URLs and loopback/private addresses.</summary>
    public bool AllowInsecureCallbacks { get; set; }

    /// <summary>Ports callback URLs may use outside development (443 when none is set).</summary>
    public int[]? AllowedPorts { get; set; }

    /// <summary>How long one attempt may take before it counts as failed.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public IReadOnlyList<TimeSpan> EffectiveRetrySchedule => RetrySchedule is { Length: > 0 } ? RetrySchedule : DefaultRetrySchedule;

    /// <summary>Where each department receives its webhooks, by department id (lower case).</summary>
    public IReadOnlyDictionary<string, DepartmentWebhooks> Departments { get; private set; } = new Dictionary<string, DepartmentWebhooks>();

    public bool TryGetDepartment(string department, out DepartmentWebhooks webhooks) =>
        Departments.TryGetValue(DepartmentRegistry.Normalize(department), out webhooks!);

    public static WebhookOptions From(IConfiguration configuration)
    {
        var problems = new List<string>();
        var options = new WebhookOptions();
        var section = configuration.GetSection(SectionName);
        try
        {
            options.RetrySchedule = section.GetSection(nameof(RetrySchedule)).Get<TimeSpan[]?>();
            options.AllowInsecureCallbacks = section.GetValue(nameof(AllowInsecureCallbacks), false);
            options.AttemptTimeout = section.GetValue(nameof(AttemptTimeout), options.AttemptTimeout);
            options.AllowedPorts = section.GetSection(nameof(AllowedPorts)).Get<int[]?>();
        }
        catch (InvalidOperationException exception)
        {
            problems.Add($"{SectionName}: {exception.Message}");
        }
        if (options.EffectiveRetrySchedule.Any(d => d < TimeSpan.Zero))
            problems.Add($"{SectionName}:RetrySchedule must not hold negative waits");
        if (options.AllowedPorts?.Any(p => p is < 1 or > 65535) == true)
            problems.Add($"{SectionName}:AllowedPorts must hold ports between 1 and 65535");
        if (options.AttemptTimeout <= TimeSpan.Zero || options.AttemptTimeout > TimeSpan.FromMinutes(5))
            problems.Add($"{SectionName}:AttemptTimeout must be positive and at most 5 minutes");

        var departments = new Dictionary<string, DepartmentWebhooks>(StringComparer.Ordinal);
        foreach (var department in configuration.GetSection(DepartmentsSection).GetChildren())
        {
            var key = $"{DepartmentsSection}:{department.Key}";
            var webhooks = new DepartmentWebhooks();
            if (!SettingsBinding.TryBind(department, webhooks, problems))
                continue;
            if (webhooks.CallbackUrl is { IsAbsoluteUri: false })
                problems.Add($"{key}:CallbackUrl must be an absolute URL (https://…)");
            // A misspelt type would silently drop every webhook of that kind for the department.
            var unknown = (webhooks.Events ?? []).Except(WebhookCatalog.WebhookTypes, StringComparer.Ordinal).ToList();
            if (unknown.Count > 0)
                problems.Add($"{key}:Events names no webhook type: {string.Join(", ", unknown)} (known: {string.Join(", ", WebhookCatalog.WebhookTypes)})");
            departments[DepartmentRegistry.Normalize(department.Key)] = webhooks;
        }
        HubSettingsException.ThrowIfAny(problems);
        options.Departments = departments;
        return options;
    }
}

/// <summary>One department's webhooks (<c>Hub:Webhooks:Departments:{id}</c>). Secrets come from the environment or a secret store.</summary>
public sealed class DepartmentWebhooks
{
    /// <summary>Where the department receives its webhooks. Registered here only: never taken from a request.</summary>
    public Uri? CallbackUrl { get; set; }

    /// <summary>HMAC-SHA256 key of the <c>Hub-Signature</c> header of its webhooks.</summary>
    public string? Secret { get; set; }

    /// <summary>The webhook types it wants (e.g. <c>request.completed</c>); all of them when empty.</summary>
    public string[]? Events { get; set; }

    public bool Wants(string type) => Events is not { Length: > 0 } events || events.Contains(type, StringComparer.Ordinal);
}
