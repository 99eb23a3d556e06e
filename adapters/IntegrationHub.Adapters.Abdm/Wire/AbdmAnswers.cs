using System.Globalization;
using System.Text.Json.Nodes;
using IntegrationHub.Adapters.Abdm.Gateway;
using IntegrationHub.Adapters.Abdm.Registry;

namespace IntegrationHub.Adapters.Abdm.Wire;

/// <summary>
/// How the hub writes what it sends the gateway, in the v3 shape (the client turns it into v0.5 where configured:
/// <see cref="AbdmBodies"/>). <see cref="PatientAsArray"/>: v3's on-discover and on-confirm carry <c>patient</c> as an
/// array of items with <c>hiType</c> and <c>count</c> (the v3 on-confirm page); v0.5 as one object. Configurable, since the
/// v3 shape is documented for on-confirm and only reported for on-discover.
/// </summary>
public sealed record AbdmAnswers(AbdmApiVersion Version, bool PatientAsArray)
{
    public static AbdmAnswers For(AbdmApiVersion version, bool? patientAsArray = null) =>
        new(version, patientAsArray ?? version == AbdmApiVersion.V3);

    public JsonObject OnDiscover(string transactionId, string answeredRequestId, RegistryPatient patient) => new()
    {
        ["transactionId"] = transactionId,
        ["patient"] = Patient(patient.ReferenceNumber, patient.Display, patient.CareContexts, new JsonArray([.. patient.MatchedBy.Select(m => JsonValue.Create(m))])),
        ["response"] = Response(answeredRequestId),
    };

    public JsonObject OnDiscoverFailed(string transactionId, string answeredRequestId, AbdmError error) => new()
    {
        ["transactionId"] = transactionId,
        ["error"] = error.ToJson(Version),
        ["response"] = Response(answeredRequestId),
    };

    /// <param name="communicationHint">Where the OTP went, masked (<c>******7890</c>).</param>
    public JsonObject OnInitLink(string transactionId, string answeredRequestId, string linkRefNumber, string communicationHint, DateTimeOffset expiry) => new()
    {
        ["transactionId"] = transactionId,
        ["link"] = new JsonObject
        {
            ["referenceNumber"] = linkRefNumber,
            ["authenticationType"] = "DIRECT",
            ["meta"] = new JsonObject
            {
                ["communicationMedium"] = "MOBILE",
                ["communicationHint"] = communicationHint,
                ["communicationExpiry"] = AbdmBodies.Timestamp(expiry),
            },
        },
        ["response"] = Response(answeredRequestId),
    };

    public JsonObject OnInitLinkFailed(string transactionId, string answeredRequestId, AbdmError error) => new()
    {
        ["transactionId"] = transactionId,
        ["error"] = error.ToJson(Version),
        ["response"] = Response(answeredRequestId),
    };

    public JsonObject OnConfirmLink(string answeredRequestId, string patientReference, string display, IReadOnlyList<CareContext> careContexts) => new()
    {
        ["patient"] = Patient(patientReference, display, careContexts, matchedBy: null),
        ["response"] = Response(answeredRequestId),
    };

    public JsonObject OnConfirmLinkFailed(string answeredRequestId, AbdmError error) => new()
    {
        ["error"] = error.ToJson(Version),
        ["response"] = Response(answeredRequestId),
    };

    /// <summary>v3 generate-token: the link token for one patient, asked by the HIP (header X-HIP-ID).</summary>
    public static JsonObject GenerateLinkToken(string abhaAddress, string name, string? gender, int? yearOfBirth, string? abhaNumber) => new()
    {
        ["abhaNumber"] = abhaNumber,
        ["abhaAddress"] = abhaAddress,
        ["name"] = name,
        ["gender"] = gender,
        ["yearOfBirth"] = yearOfBirth,
    };

    /// <summary>v3 link care contexts (header X-LINK-TOKEN): one patient, its care contexts grouped by HI type.</summary>
    public static JsonObject LinkCareContexts(string abhaAddress, string? abhaNumber, string patientReference, string display, IReadOnlyList<CareContext> careContexts) => new()
    {
        ["abhaNumber"] = abhaNumber,
        ["abhaAddress"] = abhaAddress,
        ["patient"] = PatientsByHiType(patientReference, display, careContexts, matchedBy: null),
    };

    JsonNode Patient(string reference, string display, IReadOnlyList<CareContext> careContexts, JsonArray? matchedBy)
    {
        if (PatientAsArray)
            return PatientsByHiType(reference, display, careContexts, matchedBy);
        var single = new JsonObject { ["referenceNumber"] = reference, ["display"] = display, ["careContexts"] = CareContexts(careContexts) };
        if (matchedBy is not null) single["matchedBy"] = matchedBy;
        return single;
    }

    /// <summary>
    /// v3's array shape: one item per HI type, each with its care contexts and their count; a patient without care
    /// contexts is one item with none (never an empty list, which would say neither found nor not found).
    /// </summary>
    static JsonArray PatientsByHiType(string reference, string display, IReadOnlyCollection<CareContext> careContexts, JsonArray? matchedBy)
    {
        if (careContexts.Count == 0)
        {
            var none = new JsonObject { ["referenceNumber"] = reference, ["display"] = display, ["careContexts"] = new JsonArray(), ["count"] = 0 };
            if (matchedBy is not null) none["matchedBy"] = matchedBy.DeepClone();
            return [none];
        }
        return new([.. careContexts.GroupBy(c => c.HiType ?? "HealthDocumentRecord").Select(group =>
        {
            var item = new JsonObject
            {
                ["referenceNumber"] = reference,
                ["display"] = display,
                ["careContexts"] = CareContexts(group),
                ["hiType"] = group.Key,
                ["count"] = group.Count(),
            };
            if (matchedBy is not null) item["matchedBy"] = matchedBy.DeepClone();
            return (JsonNode)item;
        })]);
    }

    static JsonArray CareContexts(IEnumerable<CareContext> careContexts) =>
        new([.. careContexts.Select(c => (JsonNode)new JsonObject { ["referenceNumber"] = c.ReferenceNumber, ["display"] = c.Display })]);

    static JsonObject Response(string requestId) => new() { ["requestId"] = requestId };
}
