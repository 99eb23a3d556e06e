using System.Globalization;
using IntegrationHub.Adapters.Hl7v2Fhir;
using IntegrationHub.Hosting.Configuration;

namespace IntegrationHub.Clinical.Hl7v2;

/// <summary>
/// <c>Hub:Clinical:Maps</c>: what the v2 → FHIR maps need to know about this deployment's senders —
/// <c>IdentifierSystems:{authority}</c> (CX-4 → Identifier.system, e.g. <c>NADRA</c>, <c>ABHA</c>),
/// <c>CodeSystems:{name}</c> (a sender's local CWE-3 tables → Coding.system) and <c>DefaultOffset</c> (the offset of
/// v2 times that carry none, e.g. <c>+05:00</c>). Checked at start, every problem listed.
/// </summary>
public static class Hl7v2MapsOptions
{
    public const string SectionName = ClinicalOptions.SectionName + ":Maps";

    public static Hl7v2FhirOptions From(IConfiguration configuration)
    {
        var section = configuration.GetSection(SectionName);
        var problems = new List<string>();
        var identifiers = Uris(section.GetSection("IdentifierSystems"), problems);
        var codes = Uris(section.GetSection("CodeSystems"), problems);
        TimeSpan? offset = null;
        if (section["DefaultOffset"] is { Length: > 0 } text)
        {
            if (ParseOffset(text) is { } parsed) offset = parsed;
            else problems.Add($"{SectionName}:DefaultOffset must be an offset from UTC such as +05:00 or -03:30 (got '{text}')");
        }
        HubSettingsException.ThrowIfAny(problems);
        return new Hl7v2FhirOptions { IdentifierSystems = identifiers, CodeSystems = codes, DefaultOffset = offset };
    }

    /// <summary><c>+05:00</c>, <c>-0330</c>, <c>Z</c> as an offset within ±14 h; null when it is not one.</summary>
    public static TimeSpan? ParseOffset(string text)
    {
        if (text is "Z" or "z") return TimeSpan.Zero;
        var digits = text.Length > 1 && text[0] is '+' or '-' ? text[1..].Replace(":", "", StringComparison.Ordinal) : "";
        if (digits.Length != 4 || !digits.All(char.IsAsciiDigit)) return null;
        var (hours, minutes) = (int.Parse(digits[..2], CultureInfo.InvariantCulture), int.Parse(digits[2..], CultureInfo.InvariantCulture));
        var offset = new TimeSpan(hours, minutes, 0);
        if (minutes > 59 || offset > TimeSpan.FromHours(14)) return null;
        return text[0] == '-' ? -offset : offset;
    }

    static Dictionary<string, string> Uris(IConfigurationSection section, List<string> problems)
    {
        var uris = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in section.GetChildren())
        {
            if (!Uri.TryCreate(entry.Value, UriKind.Absolute, out _))
                problems.Add($"{entry.Path} must be an absolute URI (e.g. https://nadra.gov.pk/cnic or urn:oid:2.16.586.1), got '{entry.Value}'");
            else uris[entry.Key] = entry.Value!;
        }
        return uris;
    }
}
