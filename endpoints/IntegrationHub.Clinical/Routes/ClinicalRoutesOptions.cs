using IntegrationHub.Clinical.Hl7v2;
using IntegrationHub.Hosting.Configuration;
using IntegrationHub.Hosting.Departments;

namespace IntegrationHub.Clinical.Routes;

/// <summary>Where one department's clinical data goes besides its events: a FHIR server, a legacy v2 system, or both.</summary>
/// <param name="FhirServer">The FHIR R4 base URL the department names (transactions are POSTed to it).</param>
/// <param name="FhirBearerToken">Sent as <c>Authorization: Bearer</c> to that server (from the environment, never the repo).</param>
/// <param name="Hl7v2Destination">One of <c>Hub:Clinical:Hl7v2:Destinations</c> of the same department: each message is forwarded to it.</param>
public sealed record ClinicalRoute(Uri? FhirServer, string? FhirBearerToken, TimeSpan FhirTimeout, string? Hl7v2Destination);

/// <summary>
/// <c>Hub:Clinical:Routes:{department}</c>: <c>FhirServer</c>, <c>FhirBearerToken</c>, <c>FhirTimeout</c> (30 s),
/// <c>Hl7v2Destination</c>. A department with no route gets events only. Checked at start, every problem listed; a
/// FHIR server must be https unless it is on this machine (loopback).
/// </summary>
public sealed class ClinicalRoutesOptions
{
    public const string SectionName = ClinicalOptions.SectionName + ":Routes";

    public IReadOnlyDictionary<string, ClinicalRoute> Departments { get; private init; } = new Dictionary<string, ClinicalRoute>();

    public ClinicalRoute? Of(string department) => Departments.GetValueOrDefault(DepartmentRegistry.Normalize(department));

    public static ClinicalRoutesOptions From(IConfiguration configuration)
    {
        var problems = new List<string>();
        var destinations = configuration.GetSection(Hl7v2Options.SectionName + ":Destinations");
        var routes = new Dictionary<string, ClinicalRoute>(StringComparer.Ordinal);
        foreach (var department in configuration.GetSection(SectionName).GetChildren())
        {
            var key = $"{SectionName}:{department.Key}";
            if (!Hl7v2Options.Registered(configuration, department.Key))
                problems.Add($"{key}: there is no department '{department.Key}' in {DepartmentOptions.SectionName}");
            Uri? server = null;
            if (department["FhirServer"] is { Length: > 0 } url)
            {
                if (!Uri.TryCreate(url, UriKind.Absolute, out server) || server.Scheme is not ("https" or "http"))
                    problems.Add($"{key}:FhirServer must be an absolute http(s) URL (the FHIR base, e.g. https://fhir.health.example.gov/r4), got '{url}'");
                else if (server.Scheme == "http" && !server.IsLoopback)
                    problems.Add($"{key}:FhirServer must use https (clinical data leaves the hub): '{url}'");
            }
            var timeout = TimeSpan.FromSeconds(30);
            if (department["FhirTimeout"] is { } text && (!TimeSpan.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out timeout) || timeout <= TimeSpan.Zero))
                problems.Add($"{key}:FhirTimeout must be a positive time span such as 00:00:30");
            var destination = department["Hl7v2Destination"];
            if (destination is { Length: > 0 })
            {
                var declared = destinations.GetSection(destination);
                if (!declared.Exists())
                    problems.Add($"{key}:Hl7v2Destination names '{destination}', which is not in {Hl7v2Options.SectionName}:Destinations");
                else if (!string.Equals(DepartmentRegistry.Normalize(declared["Department"] ?? ""), DepartmentRegistry.Normalize(department.Key), StringComparison.Ordinal))
                    problems.Add($"{key}:Hl7v2Destination '{destination}' belongs to another department");
            }
            if (server is null && destination is not { Length: > 0 })
                problems.Add($"{key} names neither FhirServer nor Hl7v2Destination (a department with no route needs no section)");
            routes[DepartmentRegistry.Normalize(department.Key)] = new ClinicalRoute(server, department["FhirBearerToken"], timeout,
                destination is { Length: > 0 } ? destination : null);
        }
        HubSettingsException.ThrowIfAny(problems);
        return new ClinicalRoutesOptions { Departments = routes };
    }
}
