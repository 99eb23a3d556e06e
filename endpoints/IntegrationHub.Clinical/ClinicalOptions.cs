using IntegrationHub.Adapters.Fhir;
using IntegrationHub.Clinical.Fhir;
using IntegrationHub.Hosting.Configuration;

namespace IntegrationHub.Clinical;

/// <summary>
/// Configuration section <c>Hub:Clinical</c>: the largest body its synchronous routes take (<c>MaxRequestBytes</c>),
/// the FHIR adapter's limits and the profiles it loads (<c>Hub:Clinical:Fhir:…</c>), each profile file read and checked
/// when the process starts.
/// </summary>
public sealed class ClinicalOptions
{
    public const string SectionName = "Hub:Clinical";
    public const string FhirSection = SectionName + ":Fhir";
    public const int DefaultMaxRequestBytes = 1024 * 1024;

    /// <summary>Largest body of <c>$validate</c> and <c>translate</c>; larger ones get 413.</summary>
    public int MaxRequestBytes { get; private init; } = DefaultMaxRequestBytes;

    /// <summary>The adapter's options: its limits, and the profile files it loads (every one checked here).</summary>
    public FhirOptions Fhir { get; private init; } = new();

    public static ClinicalOptions From(IConfiguration configuration)
    {
        var section = configuration.GetSection(SectionName);
        var fhir = configuration.GetSection(FhirSection);
        var problems = new List<string>();
        var defaults = new FhirLimits();
        var maxRequestBytes = Read(section, nameof(MaxRequestBytes), DefaultMaxRequestBytes, problems);
        var limits = new FhirLimits
        {
            MaxBytes = Read(fhir, nameof(FhirLimits.MaxBytes), defaults.MaxBytes, problems),
            MaxDepth = Read(fhir, nameof(FhirLimits.MaxDepth), defaults.MaxDepth, problems),
            MaxStringLength = Read(fhir, nameof(FhirLimits.MaxStringLength), defaults.MaxStringLength, problems),
            MaxBundleEntries = Read(fhir, nameof(FhirLimits.MaxBundleEntries), defaults.MaxBundleEntries, problems),
        };
        if (limits.MaxBytes is < 1 or > int.MaxValue)
            problems.Add($"{FhirSection}:MaxBytes must be between 1 and {int.MaxValue}");
        // Deeper documents would only serve to exhaust the parsers' stacks.
        if (limits.MaxDepth is < 1 or > 512)
            problems.Add($"{FhirSection}:MaxDepth must be between 1 and 512");
        if (limits.MaxStringLength < 1)
            problems.Add($"{FhirSection}:MaxStringLength must be at least 1");
        if (limits.MaxBundleEntries < 1)
            problems.Add($"{FhirSection}:MaxBundleEntries must be at least 1");
        var usableLimits = problems.Count == 0;
        if (maxRequestBytes < 1 || maxRequestBytes > limits.MaxBytes)
            problems.Add($"{SectionName}:MaxRequestBytes must be between 1 and {FhirSection}:MaxBytes ({limits.MaxBytes})");

        var options = new FhirOptions { Limits = limits };
        foreach (var file in ProfileFiles(fhir.GetSection("Profiles"), problems))
            options.ProfilePaths.Add(file);
        CheckProfiles(options.ProfilePaths, usableLimits ? limits : defaults, problems);
        HubSettingsException.ThrowIfAny(problems);
        return new ClinicalOptions { MaxRequestBytes = maxRequestBytes, Fhir = options };
    }

    static IEnumerable<string> ProfileFiles(IConfigurationSection profiles, List<string> problems)
    {
        foreach (var entry in profiles.GetChildren())
        {
            if (string.IsNullOrWhiteSpace(entry.Value))
            {
                problems.Add($"{entry.Path} must name a profile file or a folder of them (e.g. /etc/hub/profiles/abdm-patient.json)");
                continue;
            }
            var path = Path.GetFullPath(entry.Value);
            if (!File.Exists(path) && !Directory.Exists(path))
            {
                problems.Add($"{entry.Path}: no file or folder {path}");
                continue;
            }
            foreach (var file in FhirFiles.ProfileFiles(path))
                yield return file;
        }
    }

    /// <summary>
    /// Every file read as the adapter will read it: each that is not a profile (or a ValueSet or CodeSystem one binds
    /// to), and each canonical URL given twice, is a problem — the adapter itself would stop at the first.
    /// </summary>
    static void CheckProfiles(IEnumerable<string> files, FhirLimits limits, List<string> problems)
    {
        var reader = new FhirAdapter(new FhirOptions { Limits = limits });
        var urls = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            if (FhirFiles.ReadConformanceResource(reader, file, out var problem) is not { } read)
                problems.Add($"{FhirSection}:Profiles: {problem}");
            else if (!urls.TryAdd(read.Url, file))
                problems.Add($"{FhirSection}:Profiles: {file} and {urls[read.Url]} both define {read.Url}");
        }
    }

    static T Read<T>(IConfigurationSection section, string key, T fallback, List<string> problems)
    {
        try
        {
            return section.GetValue(key, fallback)!;
        }
        catch (InvalidOperationException)
        {
            problems.Add($"{section.Path}:{key} must be a whole number (e.g. {fallback})");
            return fallback;
        }
    }
}
