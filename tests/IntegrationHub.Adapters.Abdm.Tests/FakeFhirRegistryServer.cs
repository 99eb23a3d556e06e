using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Adapters.Abdm.Registry;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Types;
using WireMock.Util;

namespace IntegrationHub.Adapters.Abdm.Tests;

/// <summary>
/// A department's FHIR R4 server on loopback holding <see cref="RegistryRecord"/>s as Patients and their care contexts
/// as Encounters. It answers the searches <see cref="FhirPatientRegistry"/> makes the way servers like HAPI do:
/// <c>identifier=[system|]value</c> exactly (case-sensitive, FHIR escapes honoured), <c>phone</c> by its digits,
/// <c>Encounter?subject=Patient/{id}</c>, and <c>Patient/{id}</c> (404 when unknown).
/// </summary>
public sealed class FakeFhirRegistryServer : IDisposable
{
    public const string AbhaNumberSystem = "https://healthid.abdm.gov.in";
    public const string AbhaAddressSystem = "https://phr.abdm.gov.in";
    const string IdentifierTypes = "http://terminology.hl7.org/CodeSystem/v2-0203";

    readonly WireMockServer _server = WireMockServer.Start();
    readonly List<RegistryRecord> _records;

    public FakeFhirRegistryServer(IEnumerable<RegistryRecord> records)
    {
        _records = [.. records];
        _server.Given(Request.Create().WithPath("/fhir/*").UsingGet()).RespondWith(Response.Create().WithCallback(Answer));
    }

    public Uri BaseUrl => new(_server.Url + "/fhir");

    public WireMockServer Server => _server;

    ResponseMessage Answer(IRequestMessage request)
    {
        var query = QueryOf(request.RawQuery);
        var path = request.Path["/fhir/".Length..];
        if (path == "Patient")
            return Json(200, Bundle(_records.Where(r => Satisfies(r, query)).Select(PatientOf)));
        if (path == "Encounter")
        {
            var subject = query.GetValueOrDefault("subject")?.Single() ?? "";
            return Json(200, Bundle(_records.Where(r => "Patient/" + r.ReferenceNumber == subject).SelectMany(EncountersOf)));
        }
        if (path.StartsWith("Patient/", StringComparison.Ordinal))
        {
            var record = _records.SingleOrDefault(r => "Patient/" + r.ReferenceNumber == path);
            return record is null ? Json(404, new JsonObject { ["resourceType"] = "OperationOutcome" }) : Json(200, PatientOf(record));
        }
        return Json(400, new JsonObject { ["resourceType"] = "OperationOutcome" });
    }

    static bool Satisfies(RegistryRecord record, Dictionary<string, List<string>> query)
    {
        if (query.TryGetValue("phone", out var phones))
            return phones.All(p => DigitsOf(record.Mobile ?? "").EndsWith(p, StringComparison.Ordinal) && p.Length == 10);
        if (query.TryGetValue("identifier", out var identifiers))
            return identifiers.All(token => IdentifiersOf(record).Any(i => TokenMatches(token, i.System, i.Value)));
        return false;
    }

    static string DigitsOf(string value) => new(value.Where(char.IsAsciiDigit).ToArray());

    static bool TokenMatches(string token, string? system, string value)
    {
        var (searchedSystem, searchedValue) = SplitToken(token);
        return searchedValue == value && (searchedSystem is null || searchedSystem == system);
    }

    /// <summary>"system|value" split at the first '|' not escaped by a backslash, each part unescaped.</summary>
    static (string? System, string Value) SplitToken(string token)
    {
        var parts = new List<StringBuilder> { new() };
        for (var i = 0; i < token.Length; i++)
        {
            if (token[i] == '\\' && i + 1 < token.Length)
                parts[^1].Append(token[++i]);
            else if (token[i] == '|' && parts.Count == 1)
                parts.Add(new StringBuilder());
            else
                parts[^1].Append(token[i]);
        }
        return parts.Count == 1 ? (null, parts[0].ToString()) : (parts[0].ToString(), parts[1].ToString());
    }

    static IEnumerable<(string? System, string Value)> IdentifiersOf(RegistryRecord record)
    {
        if (record.AbhaNumber is not null)
            yield return (AbhaNumberSystem, record.AbhaNumber);
        if (record.AbhaAddress is not null)
            yield return (AbhaAddressSystem, record.AbhaAddress);
        if (record.MedicalRecordNumber is not null)
            yield return ("urn:hospital:mrn", record.MedicalRecordNumber);
    }

    /// <summary>Names alternate between text and given/family, so the registry reads both.</summary>
    JsonObject PatientOf(RegistryRecord record)
    {
        var words = record.Name.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var name = _records.IndexOf(record) % 2 == 0
            ? new JsonObject { ["use"] = "official", ["text"] = record.Name }
            : new JsonObject { ["use"] = "official", ["family"] = words[^1], ["given"] = new JsonArray([.. words[..^1].Select(w => (JsonNode)w)]) };
        var identifiers = new JsonArray();
        if (record.AbhaNumber is not null)
            identifiers.Add(new JsonObject { ["system"] = AbhaNumberSystem, ["value"] = record.AbhaNumber });
        if (record.AbhaAddress is not null)
            identifiers.Add(new JsonObject { ["system"] = AbhaAddressSystem, ["value"] = record.AbhaAddress });
        if (record.MedicalRecordNumber is not null)
            identifiers.Add(new JsonObject
            {
                ["type"] = new JsonObject { ["coding"] = new JsonArray(new JsonObject { ["system"] = IdentifierTypes, ["code"] = "MR" }) },
                ["system"] = "urn:hospital:mrn",
                ["value"] = record.MedicalRecordNumber,
            });
        var patient = new JsonObject
        {
            ["resourceType"] = "Patient",
            ["id"] = record.ReferenceNumber,
            ["identifier"] = identifiers,
            ["name"] = new JsonArray(new JsonObject { ["use"] = "old", ["text"] = "Someone Else" }, name),
            ["gender"] = record.Gender switch { "M" => "male", "F" => "female", "O" => "other", _ => "unknown" },
            ["birthDate"] = $"{record.YearOfBirth}-06-15",
        };
        if (record.Mobile is not null)
            patient["telecom"] = new JsonArray(new JsonObject { ["system"] = "phone", ["use"] = "mobile", ["value"] = record.Mobile });
        return patient;
    }

    static IEnumerable<JsonObject> EncountersOf(RegistryRecord record) => record.CareContexts.Select(c => new JsonObject
    {
        ["resourceType"] = "Encounter",
        ["id"] = c.ReferenceNumber,
        ["status"] = "finished",
        ["class"] = new JsonObject
        {
            ["system"] = "http://terminology.hl7.org/CodeSystem/v3-ActCode",
            ["code"] = c.HiType switch { "OPConsultation" => "AMB", "DischargeSummary" => "IMP", _ => "EMER" },
        },
        ["type"] = new JsonArray(new JsonObject { ["text"] = c.Display }),
        ["subject"] = new JsonObject { ["reference"] = "Patient/" + record.ReferenceNumber },
    });

    static JsonObject Bundle(IEnumerable<JsonObject> resources) => new()
    {
        ["resourceType"] = "Bundle",
        ["type"] = "searchset",
        ["entry"] = new JsonArray([.. resources.Select(r => (JsonNode)new JsonObject { ["resource"] = r, ["search"] = new JsonObject { ["mode"] = "match" } })]),
    };

    /// <summary>The query as FHIR servers read it: every parameter's values in order, percent-decoded once.</summary>
    public static Dictionary<string, List<string>> QueryOf(string? rawQuery)
    {
        var query = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var pair in (rawQuery ?? "").TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=');
            var key = Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals]);
            var value = equals < 0 ? "" : Uri.UnescapeDataString(pair[(equals + 1)..]);
            if (!query.TryGetValue(key, out var values))
                query[key] = values = [];
            values.Add(value);
        }
        return query;
    }

    static ResponseMessage Json(int status, JsonNode body) => new()
    {
        StatusCode = status,
        Headers = new Dictionary<string, WireMockList<string>> { ["Content-Type"] = new("application/fhir+json") },
        BodyData = new BodyData { BodyAsString = body.ToJsonString(), DetectedBodyType = BodyType.String, Encoding = Encoding.UTF8 },
    };

    public void Dispose() => _server.Stop();
}
