using System.Text.Json.Nodes;
using IntegrationHub.Clinical.Routes;
using IntegrationHub.Hosting.Http;

namespace IntegrationHub.Clinical.Development;

/// <summary>
/// For the embedded demo only (<c>Hub:Simulators:Enabled</c>): the FHIR server of department <c>demo</c>, at
/// <c>/dev/fhir</c> on the hub itself — so an ADT sent to the demo listener ends as a Patient on a FHIR server with
/// nothing installed. It keeps resources in memory (the last <see cref="Kept"/>) and implements the part of FHIR's
/// RESTful API the hub's FHIR route uses: search by identifier, and a transaction of PUTs (conditional on an identifier,
/// or by id, with If-Match), <c>urn:uuid:</c> references resolved to the ids it assigns. <c>GET /dev/fhir/{type}</c>
/// lists what it holds.
/// </summary>
internal sealed class DemoFhirServer
{
    public const string Path = "/dev/fhir";
    const string Department = "demo";
    const int Kept = 1000;
    const int MaxBodyBytes = 4 * 1024 * 1024;
    const string FhirJson = "application/fhir+json";
    readonly Dictionary<(string Type, string Id), (JsonObject Resource, int Version)> _resources = [];

    public static void Add(IHostApplicationBuilder builder)
    {
        var publicBaseUrl = builder.Configuration["Hub:PublicBaseUrl"] ?? "http://127.0.0.1:5080";
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"{ClinicalRoutesOptions.SectionName}:{Department}:FhirServer"] = publicBaseUrl.TrimEnd('/') + Path,
        });
        builder.Services.AddSingleton<DemoFhirServer>();
    }

    public static void Map(IEndpointRouteBuilder routes)
    {
        var server = routes.ServiceProvider.GetRequiredService<DemoFhirServer>();
        var group = routes.MapGroup(Path).ExcludeFromDescription().AllowAnonymous();
        group.MapGet("{type}", (string type, string? identifier) => Fhir(server.Search(type, identifier)));
        group.MapPost("", async (HttpRequest request) =>
        {
            if (await RequestBodies.ReadLimited(request, MaxBodyBytes) is not { } body)
                return RequestBodies.TooLarge(MaxBodyBytes);
            JsonObject? transaction;
            try
            {
                transaction = JsonNode.Parse(body) as JsonObject;
            }
            catch (System.Text.Json.JsonException)
            {
                transaction = null;
            }
            if (transaction is null || Text(transaction["resourceType"]) != "Bundle" || Text(transaction["type"]) != "transaction")
                return Fhir(Outcome("invalid", "POST a transaction Bundle"), StatusCodes.Status400BadRequest);
            var (answer, status) = server.Apply(transaction);
            return Fhir(answer, status);
        });
    }

    /// <summary>A node's text when it is a JSON string; null for anything else (a number, an object) — never an exception.</summary>
    static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    static IResult Fhir(JsonObject body, int status = StatusCodes.Status200OK) =>
        Results.Text(body.ToJsonString(), FhirJson, System.Text.Encoding.UTF8, status);

    static JsonObject Outcome(string code, string text) => new()
    {
        ["resourceType"] = "OperationOutcome",
        ["issue"] = new JsonArray(new JsonObject { ["severity"] = "error", ["code"] = code, ["diagnostics"] = text }),
    };

    JsonObject Search(string type, string? identifier)
    {
        lock (_resources)
        {
            var matches = _resources.Where(r => r.Key.Type == type && (identifier is null || Has(r.Value.Resource, identifier)))
                .Select(r => (JsonNode)new JsonObject { ["resource"] = WithMeta(r.Value.Resource, r.Key.Id, r.Value.Version) }).ToArray();
            return new JsonObject { ["resourceType"] = "Bundle", ["type"] = "searchset", ["total"] = matches.Length, ["entry"] = new JsonArray(matches) };
        }
    }

    static JsonObject WithMeta(JsonObject resource, string id, int version)
    {
        var copy = (JsonObject)resource.DeepClone();
        copy["id"] = id;
        copy["meta"] = new JsonObject { ["versionId"] = version.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        return copy;
    }

    /// <summary>FHIR's token escapes (<c>\\ \, \| \$</c>) undone.</summary>
    static string Unescape(string token) =>
        token.Replace("\\,", ",", StringComparison.Ordinal).Replace("\\$", "$", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);

    /// <summary><c>system|value</c> or <c>value</c> against the resource's identifiers.</summary>
    static bool Has(JsonObject resource, string identifier)
    {
        var bar = UnescapedBar(identifier);
        var (system, value) = bar < 0 ? (null, Unescape(identifier.Replace("\\|", "|", StringComparison.Ordinal)))
            : (Unescape(identifier[..bar].Replace("\\|", "|", StringComparison.Ordinal)), Unescape(identifier[(bar + 1)..].Replace("\\|", "|", StringComparison.Ordinal)));
        return resource["identifier"] is JsonArray identifiers && identifiers.OfType<JsonObject>().Any(i =>
            Text(i["value"]) == value && (system is null || Text(i["system"]) == system));
    }

    static int UnescapedBar(string token)
    {
        for (var i = 0; i < token.Length; i++)
        {
            if (token[i] == '\\') i++;
            else if (token[i] == '|') return i;
        }
        return -1;
    }

    /// <summary>All or nothing, as a FHIR transaction: the first entry that fails answers for the whole Bundle.</summary>
    (JsonObject Answer, int Status) Apply(JsonObject transaction)
    {
        lock (_resources)
        {
            var entries = transaction["entry"] as JsonArray ?? [];
            var planned = new List<(string Type, string Id, JsonObject Resource, bool Created)>();
            var ids = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var entry in entries.OfType<JsonObject>())
            {
                if (entry["resource"] is not JsonObject resource || entry["request"] is not JsonObject request || Text(request["method"]) is not ("PUT" or "POST"))
                    return (Outcome("not-supported", "each entry must PUT a resource"), StatusCodes.Status400BadRequest);
                var url = Text(request["url"]) ?? "";
                var type = Text(resource["resourceType"]) ?? "";
                if (type.Length == 0 || !url.StartsWith(type, StringComparison.Ordinal))
                    return (Outcome("invalid", "each entry's url must name its resource's type"), StatusCodes.Status400BadRequest);
                string id;
                var condition = Text(request["method"]) == "POST" ? Text(request["ifNoneExist"]) : url.Split('?', 2) is [_, var q] ? q : null;
                if (condition is not null && condition.StartsWith("identifier=", StringComparison.Ordinal))
                {
                    var identifier = Uri.UnescapeDataString(condition["identifier=".Length..]);
                    var matches = _resources.Where(r => r.Key.Type == type && Has(r.Value.Resource, identifier)).ToList();
                    if (matches.Count > 1) return (Outcome("multiple-matches", $"{matches.Count} {type} match"), StatusCodes.Status412PreconditionFailed);
                    if (matches.Count == 1 && Text(request["method"]) == "POST")
                    {
                        // A conditional create that finds one does nothing.
                        if (Text(entry["fullUrl"]) is { } existingUrl) ids[existingUrl] = $"{type}/{matches[0].Key.Id}";
                        continue;
                    }
                    id = matches.Count == 1 ? matches[0].Key.Id : Guid.NewGuid().ToString("N")[..16];
                }
                else if (Text(request["method"]) == "POST") id = Guid.NewGuid().ToString("N")[..16];
                else id = url.Split('/').Last();
                var exists = _resources.TryGetValue((type, id), out var current);
                if (Text(request["ifMatch"]) is { } ifMatch && (!exists || ifMatch != $"W/\"{current.Version}\""))
                    return (Outcome("conflict", $"{type}/{id} is not at version {ifMatch}"), StatusCodes.Status412PreconditionFailed);
                if (Text(entry["fullUrl"]) is { } fullUrl) ids[fullUrl] = $"{type}/{id}";
                planned.Add((type, id, (JsonObject)resource.DeepClone(), !exists));
            }
            var answers = new JsonArray();
            foreach (var (type, id, resource, created) in planned)
            {
                Resolve(resource, ids);
                resource["id"] = id;
                var version = _resources.TryGetValue((type, id), out var current) ? current.Version + 1 : 1;
                _resources[(type, id)] = (resource, version);
                answers.Add(new JsonObject { ["response"] = new JsonObject { ["status"] = created ? "201 Created" : "200 OK", ["location"] = $"{type}/{id}/_history/{version}" } });
            }
            while (_resources.Count > Kept) _resources.Remove(_resources.Keys.First());
            return (new JsonObject { ["resourceType"] = "Bundle", ["type"] = "transaction-response", ["entry"] = answers }, StatusCodes.Status200OK);
        }
    }

    static void Resolve(JsonNode? node, Dictionary<string, string> ids)
    {
        switch (node)
        {
            case JsonObject o:
                if (Text(o["reference"]) is { } reference && ids.TryGetValue(reference, out var resolved)) o["reference"] = resolved;
                foreach (var (_, child) in o.ToList()) Resolve(child, ids);
                break;
            case JsonArray a:
                foreach (var child in a) Resolve(child, ids);
                break;
        }
    }
}
