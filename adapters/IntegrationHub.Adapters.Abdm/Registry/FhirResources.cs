using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace IntegrationHub.Adapters.Abdm.Registry;

/// <summary>A FHIR Patient as the registry needs it: what ABDM shows, and what <see cref="PatientMatching"/> compares.</summary>
sealed record FhirPatient(string? Id, string Display, string? Mobile, PatientCandidate Candidate);

/// <summary>Reads Patients and Encounters (FHIR R4 JSON) into the registry's terms.</summary>
static partial class FhirResources
{
    const string IdentifierTypeSystem = "http://terminology.hl7.org/CodeSystem/v2-0203";

    /// <summary>FHIR's id rule; "." and ".." obey it but would climb the URL path, so they are refused too.</summary>
    public static bool IsValidId(string? id) => id is not null && id is not ("." or "..") && FhirId().IsMatch(id);

    [GeneratedRegex(@"^[A-Za-z0-9\-\.]{1,64}$")]
    private static partial Regex FhirId();

    public static IEnumerable<JsonElement> EntryResources(JsonElement bundle, string resourceType) =>
        Array(bundle, "entry")
            .Select(e => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("resource", out var r) ? r : default)
            .Where(r => String(r, "resourceType") == resourceType);

    public static bool HasNextPage(JsonElement bundle) => Array(bundle, "link").Any(l => String(l, "relation") == "next");

    /// <param name="placeholder">The candidate's reference when the Patient has no valid id: unique, and never a valid id itself.</param>
    public static FhirPatient PatientOf(JsonElement patient, FhirRegistryOptions options, string placeholder)
    {
        var id = String(patient, "id") is { } written && IsValidId(written) ? written : null;
        var display = DisplayName(patient);
        var identifiers = Array(patient, "identifier").ToList();
        var phones = Array(patient, "telecom").Where(t => String(t, "system") is "phone" or "sms" && String(t, "value") is not null).ToList();
        var candidate = new PatientCandidate(
            id ?? placeholder,
            display,
            GenderOf(String(patient, "gender")),
            YearOf(String(patient, "birthDate")),
            [.. phones.Select(t => String(t, "value")!)],
            ValuesIn(identifiers, options.AbhaNumberSystem),
            ValuesIn(identifiers, options.AbhaAddressSystem),
            MedicalRecordNumbers(identifiers, options.MedicalRecordSystem));
        var mobile = phones.FirstOrDefault(t => String(t, "use") == "mobile") is { ValueKind: JsonValueKind.Object } preferred
            ? String(preferred, "value")
            : phones.Select(t => String(t, "value")).FirstOrDefault();
        return new FhirPatient(id, display ?? "", mobile, candidate);
    }

    /// <summary>The text, or given names and family, of the first official name (else usual, else any but an old one).</summary>
    static string? DisplayName(JsonElement patient)
    {
        var names = Array(patient, "name").ToList();
        var name = names.FirstOrDefault(n => String(n, "use") == "official") is { ValueKind: JsonValueKind.Object } official ? official
            : names.FirstOrDefault(n => String(n, "use") == "usual") is { ValueKind: JsonValueKind.Object } usual ? usual
            : names.FirstOrDefault(n => String(n, "use") != "old");
        if (name.ValueKind != JsonValueKind.Object)
            return null;
        if (String(name, "text") is { Length: > 0 } text)
            return text.Trim();
        var parts = Array(name, "given").Select(g => g.ValueKind == JsonValueKind.String ? g.GetString() : null)
            .Append(String(name, "family"))
            .Where(p => !string.IsNullOrWhiteSpace(p))
            .Select(p => p!.Trim());
        var joined = string.Join(' ', parts);
        return joined.Length > 0 ? joined : null;
    }

    static string? GenderOf(string? gender) => gender switch
    {
        "male" => "M",
        "female" => "F",
        "other" => "O",
        "unknown" => "U",
        _ => null,
    };

    static int? YearOf(string? date) =>
        date is { Length: >= 4 } && int.TryParse(date.AsSpan(0, 4), NumberStyles.None, CultureInfo.InvariantCulture, out var year) ? year : null;

    static IReadOnlyList<string> ValuesIn(List<JsonElement> identifiers, string system) =>
        [.. identifiers.Where(i => SameSystem(String(i, "system"), system)).Select(i => String(i, "value")).OfType<string>()];

    static IReadOnlyList<string> MedicalRecordNumbers(List<JsonElement> identifiers, string? system) =>
        system is not null
            ? ValuesIn(identifiers, system)
            : [.. identifiers.Where(IsTypedMedicalRecordNumber).Select(i => String(i, "value")).OfType<string>()];

    static bool IsTypedMedicalRecordNumber(JsonElement identifier) =>
        identifier.TryGetProperty("type", out var type)
        && Array(type, "coding").Any(c => String(c, "system") == IdentifierTypeSystem && String(c, "code") == "MR");

    /// <summary>Systems are URIs: a trailing slash or the host's case does not make another system.</summary>
    static bool SameSystem(string? a, string b) =>
        a is not null && string.Equals(a.Trim().TrimEnd('/'), b.Trim().TrimEnd('/'), StringComparison.OrdinalIgnoreCase);

    /// <summary>An Encounter as a care context, or null when it is not one (no reference, entered in error, cancelled).</summary>
    public static CareContext? CareContextOf(JsonElement encounter)
    {
        // An encounter entered in error or cancelled holds no care worth sharing.
        if (String(encounter, "status") is "entered-in-error" or "cancelled")
            return null;
        var reference = Array(encounter, "identifier").Select(i => String(i, "value")).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v))
            ?? String(encounter, "id");
        if (string.IsNullOrWhiteSpace(reference))
            return null;
        var encounterClass = ClassOf(encounter);
        var what = TypeText(encounter) ?? String(encounterClass, "display") ?? "Encounter";
        var display = StartDate(encounter) is { } date ? $"{what} {date}" : what;
        var hiType = String(encounterClass, "code") switch
        {
            "AMB" => "OPConsultation",
            "IMP" => "DischargeSummary",
            _ => null,
        };
        return new CareContext(reference, display, hiType);
    }

    static string? TypeText(JsonElement encounter)
    {
        var type = Array(encounter, "type").FirstOrDefault();
        if (type.ValueKind != JsonValueKind.Object)
            return null;
        return String(type, "text") is { Length: > 0 } text
            ? text
            : Array(type, "coding").Select(c => String(c, "display")).FirstOrDefault(d => !string.IsNullOrWhiteSpace(d));
    }

    /// <summary>R4's class is one Coding (R5 made it a list: the first is taken then).</summary>
    static JsonElement ClassOf(JsonElement encounter) =>
        encounter.TryGetProperty("class", out var c) ? c.ValueKind == JsonValueKind.Array ? c.EnumerateArray().FirstOrDefault() : c : default;

    /// <summary>The start date as written (yyyy-MM-dd, the day where the encounter happened: no conversion to UTC).</summary>
    static string? StartDate(JsonElement encounter) =>
        encounter.TryGetProperty("period", out var period) && String(period, "start") is { Length: >= 10 } start
        && DateOnly.TryParseExact(start[..10], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _)
            ? start[..10]
            : null;

    static string? String(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    static IEnumerable<JsonElement> Array(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.Array
            ? value.EnumerateArray()
            : [];
}
