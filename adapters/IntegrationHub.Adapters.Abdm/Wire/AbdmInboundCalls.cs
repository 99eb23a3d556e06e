using System.Text.Json;
using IntegrationHub.Adapters.Abdm.Gateway;
using IntegrationHub.Adapters.Abdm.Registry;

namespace IntegrationHub.Adapters.Abdm.Wire;

/// <summary>A call from the gateway, read and checked. <see cref="RequestId"/> is the gateway's id for this call (answers echo it).</summary>
public abstract record AbdmCall(string RequestId);

/// <summary>discover: find this patient among the HIP's and say which care contexts it has.</summary>
public sealed record DiscoverCall(string RequestId, string TransactionId, PatientQuery Patient) : AbdmCall(RequestId);

/// <summary>link init: the patient wants these care contexts linked to their ABHA address.</summary>
public sealed record InitLinkCall(string RequestId, string TransactionId, string AbhaAddress, string PatientReference,
    IReadOnlyList<string> CareContexts) : AbdmCall(RequestId);

/// <summary>link confirm: the OTP the patient received, for the link reference the hub gave in on-init.</summary>
public sealed record ConfirmLinkCall(string RequestId, string LinkRefNumber, string Token) : AbdmCall(RequestId);

/// <summary>
/// An answer to a call the hub made (on-generate-token, on_carecontext, on-notify): <see cref="AnsweredRequestId"/> is
/// the id of the hub's call; <see cref="ErrorCode"/> set when the gateway refused it.
/// </summary>
public sealed record GatewayAnswerCall(string RequestId, string AnsweredRequestId, string? ErrorCode, string? ErrorMessage, string? LinkToken)
    : AbdmCall(RequestId);

/// <summary>
/// Reads the bodies the gateway sends in either generation (formats.md §1.3): v0.5 carries <c>requestId</c> in the body and
/// answers in <c>resp</c>; v3 carries <c>REQUEST-ID</c> in a header and answers in <c>response</c>. Shapes that differ between
/// reports (v3 <c>patient</c> as an object or an array, identifier type names) are both accepted. Every string and list
/// is bounded; a problem names the field, never its value.
/// </summary>
public static class AbdmInboundCalls
{
    public const int MaxText = 256;
    public const int MaxItems = 100;
    public const int MaxIdentifiers = 10;

    public static (AbdmCall? Call, string? Problem) Read(AbdmInbound call, AbdmApiVersion version, JsonElement body, string? requestIdHeader)
    {
        if (body.ValueKind != JsonValueKind.Object)
            return (null, "The body must be a JSON object.");
        var problems = new List<string>();
        var reader = new Reader(body, problems);
        var requestId = version == AbdmApiVersion.V3
            ? Checked(requestIdHeader, "the REQUEST-ID header", problems)
            : reader.Text("requestId", required: true);
        AbdmCall? parsed = call switch
        {
            AbdmInbound.Discover => Discover(reader, requestId),
            AbdmInbound.InitLink => InitLink(reader, requestId),
            AbdmInbound.ConfirmLink => new ConfirmLinkCall(requestId ?? "",
                reader.Object("confirmation").Text("linkRefNumber", required: true) ?? "",
                reader.Object("confirmation").Text("token", required: true) ?? ""),
            _ => Answer(reader, requestId, version),
        };
        return problems.Count > 0 ? (null, "The body is not a valid ABDM call: " + string.Join("; ", problems.Distinct()) + ".") : (parsed, null);
    }

    static DiscoverCall Discover(Reader body, string? requestId)
    {
        var patient = body.Object("patient", required: true);
        var abhaAddress = patient.Text("id") ?? body.Text("abhaAddress");
        if (abhaAddress is null) body.Problems.Add("patient.id (the ABHA address) is required");
        var query = new PatientQuery(abhaAddress ?? "", Identifiers(patient, "verifiedIdentifiers"), Identifiers(patient, "unverifiedIdentifiers"),
            patient.Text("name"), patient.Text("gender"), patient.Int("yearOfBirth"));
        return new DiscoverCall(requestId ?? "", body.Text("transactionId", required: true) ?? "", query);
    }

    static InitLinkCall InitLink(Reader body, string? requestId)
    {
        // v0.5: patient {id, referenceNumber, careContexts}; v3 (reported): abhaAddress beside patient [{referenceNumber,
        // careContexts, hiType}], one item per HI type of the chosen care contexts, all of the same patient reference.
        var patients = body.ObjectOrItems("patient");
        var abhaAddress = body.Text("abhaAddress") ?? patients.FirstOrDefault()?.Text("id");
        if (abhaAddress is null) body.Problems.Add("abhaAddress (or patient.id) is required");
        var references = patients.Select(p => p.Text("referenceNumber", required: true) ?? "").Distinct(StringComparer.Ordinal).ToList();
        if (references.Count > 1) body.Problems.Add("every patient item must name the same referenceNumber");
        var careContexts = patients.SelectMany(p => p.Items("careContexts", required: true)).Select(c => c.Text("referenceNumber", required: true) ?? "")
            .Distinct(StringComparer.Ordinal).ToList();
        if (careContexts.Count == 0) body.Problems.Add("patient.careContexts must name at least one care context");
        if (careContexts.Count > MaxItems) body.Problems.Add($"patient.careContexts name more than {MaxItems} care contexts");
        return new InitLinkCall(requestId ?? "", body.Text("transactionId", required: true) ?? "", abhaAddress ?? "",
            references.FirstOrDefault() ?? "", careContexts);
    }

    static GatewayAnswerCall Answer(Reader body, string? requestId, AbdmApiVersion version)
    {
        var answered = body.Object(version == AbdmApiVersion.V05 ? "resp" : "response", required: true).Text("requestId", required: true);
        var error = body.Optional("error");
        string? code = null, message = null;
        if (error is not null)
        {
            code = error.Scalar("code") ?? "unknown";
            message = error.Text("message");
        }
        return new GatewayAnswerCall(requestId ?? "", answered ?? "", code, message, body.Text("linkToken", maxLength: 4096));
    }

    static IReadOnlyList<PatientIdentifier> Identifiers(Reader patient, string name)
    {
        var identifiers = patient.Items(name).Select(i => new PatientIdentifier(i.Text("type", required: true) ?? "", i.Text("value", required: true) ?? "")).ToList();
        // Each identifier is a registry search: a patient has a handful, never dozens.
        if (identifiers.Count > MaxIdentifiers) patient.Problems.Add($"patient.{name} has more than {MaxIdentifiers} identifiers");
        return identifiers;
    }

    static string? Checked(string? value, string what, List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(value)) { problems.Add($"{what} is required"); return null; }
        if (value.Length > MaxText || value.Any(char.IsControl)) { problems.Add($"{what} is too long or has control characters"); return null; }
        return value;
    }

    /// <summary>Reads one JSON object, collecting problems by field path instead of throwing.</summary>
    sealed class Reader(JsonElement element, List<string> problems, string path = "")
    {
        public List<string> Problems => problems;

        string Field(string name) => path.Length == 0 ? name : $"{path}.{name}";

        public string? Text(string name, bool required = false, int maxLength = MaxText)
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                if (required) problems.Add($"{Field(name)} is required");
                return null;
            }
            if (value.ValueKind != JsonValueKind.String) { problems.Add($"{Field(name)} must be a string"); return null; }
            var text = value.GetString()!;
            if (text.Length > maxLength || text.Any(c => char.IsControl(c)))
            {
                problems.Add($"{Field(name)} is longer than {maxLength} characters or has control characters");
                return null;
            }
            if (required && text.Trim().Length == 0) { problems.Add($"{Field(name)} is empty"); return null; }
            return text;
        }

        /// <summary>A string or a number, as text (error codes are numbers in v0.5 and strings in v3).</summary>
        public string? Scalar(string name) =>
            element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number
                ? (value.GetRawText() is { Length: <= 20 } number ? number : null)
                : Text(name);

        public int? Int(string name)
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
                return null;
            if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) && number is > 1800 and < 3000)
                return number;
            if (value.ValueKind == JsonValueKind.String && int.TryParse(value.GetString(), out number) && number is > 1800 and < 3000)
                return number;
            problems.Add($"{Field(name)} must be a year");
            return null;
        }

        public Reader Object(string name, bool required = false) => Optional(name, required) ?? new Reader(default, problems, Field(name));

        public Reader? Optional(string name, bool required = false)
        {
            if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object)
                return new Reader(value, problems, Field(name));
            if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null)
                problems.Add($"{Field(name)} must be an object");
            else if (required)
                problems.Add($"{Field(name)} is required");
            return null;
        }

        /// <summary>An object, or a list of 1 to <see cref="MaxItems"/> objects.</summary>
        public IReadOnlyList<Reader> ObjectOrItems(string name)
        {
            if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array)
            {
                var items = Items(name).ToList();
                if (items.Count == 0 && value.GetArrayLength() == 0) problems.Add($"{Field(name)} must hold at least one item");
                return items;
            }
            return Optional(name, required: true) is { } one ? [one] : [];
        }

        public IEnumerable<Reader> Items(string name, bool required = false)
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                if (required) problems.Add($"{Field(name)} is required");
                return [];
            }
            if (value.ValueKind != JsonValueKind.Array) { problems.Add($"{Field(name)} must be a list"); return []; }
            if (value.GetArrayLength() > MaxItems) { problems.Add($"{Field(name)} has more than {MaxItems} items"); return []; }
            return value.EnumerateArray().Select((item, i) => new Reader(item, problems, $"{Field(name)}[{i}]")).ToList();
        }
    }
}
