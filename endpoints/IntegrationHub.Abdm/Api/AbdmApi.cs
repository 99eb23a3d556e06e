using System.Security.Cryptography;
using System.Text.Json;
using IntegrationHub.Abdm.Linking;
using IntegrationHub.Abdm.Links;
using IntegrationHub.Adapters.Abdm.Gateway;
using IntegrationHub.Contracts.Abdm.Commands;
using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Departments;
using IntegrationHub.Hosting.Http;
using IntegrationHub.Hosting.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace IntegrationHub.Abdm.Api;

/// <summary>
/// The departments' side of ABDM, under the department contract (<c>/api/v1/abdm</c>): the care contexts linked to their
/// patients (scope <c>abdm:read</c>), HIP-initiated links (<c>POST /links</c>, scope <c>abdm:write</c>, 202 with a status
/// resource), and for operators the gateway answers that matched nothing (scope <c>ops</c>).
/// </summary>
public static class AbdmApi
{
    public const string Prefix = "/api/v1/abdm";
    public const int MaxBodyBytes = 64 * 1024;
    public const int MaxCareContexts = 100;
    const string LinkRoute = "POST " + AbdmLink.Route;

    public static void MapAbdmApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Prefix).WithTags("ABDM").RequireDepartment();
        group.MapGet("/care-contexts", ListCareContexts)
            .RequireAuthorization(AbdmScopes.Read.Name)
            .WithName("ListAbdmLinkedCareContexts")
            .WithSummary("Care contexts of the department's patients linked to ABHA addresses, the latest first")
            .WithDescription("Needs scope `abdm:read`. `patientReference` narrows to one patient; `limit` 1–1000 (100).");
        group.MapPost("/links", Link)
            .RequireAuthorization(AbdmScopes.Write.Name)
            .WithName("LinkAbdmCareContexts")
            .WithSummary("Link care contexts of one of the department's patients to the patient's ABHA address (HIP-initiated, v3)")
            .WithDescription(
                "Needs scope `abdm:write`. Body: `{ hipId?, abhaAddress, abhaNumber?, patientReference, patientName, gender?, yearOfBirth?, " +
                "careContexts: [{ referenceNumber, display, hiType }] }`. `hipId` may be left out when the department has one HIP. " +
                "202 with the link's status resource; the webhooks `abdm.care_contexts_linked` / `abdm.link_failed` say how it ended. " +
                "409 when the gateway is v0.5 (no HIP-initiated linking there) or the department has no HIP.")
            .Produces<AcceptedView>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        group.MapGet("/links/{id}", ShowLink)
            .RequireAuthorization(AbdmScopes.Read.Name)
            .WithName("GetAbdmLink")
            .WithSummary("A HIP-initiated link's status and timeline")
            .ProducesProblem(StatusCodes.Status404NotFound);

        app.MapGet(Prefix + "/unmatched-calls", ListUnmatched)
            .WithTags("ABDM")
            .RequireAuthorization(HubScopes.Ops)
            .WithName("ListAbdmUnmatchedCalls")
            .WithSummary("Answers from the ABDM gateway that matched no running flow, the latest first (ids and codes, no bodies)");
    }

    public sealed record LinkedCareContextView(string PatientReference, string CareContextReference, string AbhaAddress, string HipId, string Display,
        string? HiType, string LinkId, string InitiatedBy, DateTimeOffset LinkedAt);

    static async Task<Ok<LinkedCareContextView[]>> ListCareContexts(HttpContext http, [FromServices] ILinkedCareContexts links,
        string? patientReference, int? limit, CancellationToken cancellationToken)
    {
        var department = DepartmentRegistry.Normalize(http.User.Department()!);
        var rows = await links.List(department, patientReference, Math.Clamp(limit ?? 100, 1, 1000), cancellationToken);
        return TypedResults.Ok(rows.Select(r => new LinkedCareContextView(r.PatientReference, r.CareContextReference, r.AbhaAddress, r.HipId, r.Display,
            r.HiType, r.LinkId, r.InitiatedBy, r.LinkedAt)).ToArray());
    }

    static async Task<Ok<UnmatchedCall[]>> ListUnmatched([FromServices] IUnmatchedCalls unmatched, int? limit, CancellationToken cancellationToken) =>
        TypedResults.Ok((await unmatched.List(Math.Clamp(limit ?? 100, 1, 1000), cancellationToken)).ToArray());

    static Task<Results<Ok<StatusView>, ProblemHttpResult>> ShowLink(string id, HttpContext http, [FromServices] EndpointRuntime<AbdmEndpoint> abdm) =>
        abdm.Status.Show(AbdmLink.Kind, DepartmentRegistry.Normalize(http.User.Department()!), id);

    static async Task<Results<Accepted<AcceptedView>, ValidationProblem, ProblemHttpResult>> Link(HttpContext http,
        [FromServices] EndpointRuntime<AbdmEndpoint> abdm, [FromServices] AbdmOptions options, [FromServices] TimeProvider clock)
    {
        var department = DepartmentRegistry.Normalize(http.User.Department()!);
        var errors = new Dictionary<string, string[]>();
        var key = IdempotencyKeys.Read(http.Request, errors);
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors, title: "The request is not valid");
        if (!AbdmPaths.HasHipInitiatedLinking(options.ApiVersion))
            return Conflict("HIP-initiated linking needs the v3 gateway",
                $"{AbdmOptions.SectionName}:Gateway:ApiVersion is V05, where linking goes through the patient's own authentication.");

        var body = await RequestBodies.ReadLimited(http.Request, MaxBodyBytes);
        if (body is null)
            return RequestBodies.TooLarge(MaxBodyBytes, "link request");
        using var json = JsonBodies.Parse(body, out var problem);
        if (json is null)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["body"] = [problem ?? "The body must be JSON."] },
                title: "The request is not valid");
        var request = LinkRequest.Read(json.RootElement, errors);
        if (request is null)
            return TypedResults.ValidationProblem(errors, title: "The request is not valid");

        var hips = options.HipsOf(department).ToList();
        var hip = request.HipId is { } wanted ? hips.FirstOrDefault(h => h.Id == wanted) : hips.Count == 1 ? hips[0] : null;
        if (hip is null)
            return Conflict("No HIP to link from", request.HipId is null
                ? $"Department '{department}' has {hips.Count} HIPs in {AbdmOptions.SectionName}:Hips; name one as hipId."
                : $"Department '{department}' has no HIP '{request.HipId}' in {AbdmOptions.SectionName}:Hips.");

        var link = new NewStatusResource("abl_" + Guid.NewGuid().ToString("N"), department, clock.GetUtcNow(),
            new Dictionary<string, string> { ["hipId"] = hip.Id, ["patientReference"] = request.PatientReference }, LinkRoute, key,
            Convert.ToHexString(SHA256.HashData(body)));
        var accepted = await abdm.Status.Accept(http, AbdmLink.Kind, link, bus => bus.SendLocal(new LinkCareContexts(link.Id, department, hip.Id,
            request.AbhaAddress, request.AbhaNumber, request.PatientReference, request.PatientName, request.Gender, request.YearOfBirth, request.CareContexts)));
        return accepted.Result switch
        {
            Accepted<AcceptedView> ok => ok,
            ValidationProblem invalid => invalid,
            ProblemHttpResult refused => refused,
            var other => throw new InvalidOperationException($"Accept answered {other.GetType().Name}"),
        };
    }

    static ProblemHttpResult Conflict(string title, string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: title, detail: detail);

    /// <summary>The body of <c>POST /links</c>, every field checked and every problem named at once.</summary>
    sealed record LinkRequest(string? HipId, string AbhaAddress, string? AbhaNumber, string PatientReference, string PatientName, string? Gender,
        int? YearOfBirth, IReadOnlyList<LinkedCareContext> CareContexts)
    {
        static readonly string[] HiTypes =
            ["OPConsultation", "Prescription", "DischargeSummary", "DiagnosticReport", "ImmunizationRecord", "HealthDocumentRecord", "WellnessRecord", "Invoice"];

        public static LinkRequest? Read(JsonElement root, Dictionary<string, string[]> errors)
        {
            if (root.ValueKind != JsonValueKind.Object)
            {
                errors["body"] = ["The body must be a JSON object."];
                return null;
            }
            var abha = Text(root, "abhaAddress", errors, required: true);
            if (abha is not null && !abha.Contains('@'))
                errors["abhaAddress"] = ["An ABHA address has the form name@sbx (or name@abdm)."];
            var gender = Text(root, "gender", errors);
            if (gender is not (null or "M" or "F" or "O" or "U"))
                errors["gender"] = ["gender is M, F, O or U."];
            int? year = null;
            if (root.TryGetProperty("yearOfBirth", out var y) && y.ValueKind != JsonValueKind.Null)
            {
                if (y.ValueKind == JsonValueKind.Number && y.TryGetInt32(out var value) && value is > 1900 and < 2200) year = value;
                else errors["yearOfBirth"] = ["yearOfBirth is a year such as 1980."];
            }
            var careContexts = new List<LinkedCareContext>();
            if (!root.TryGetProperty("careContexts", out var list) || list.ValueKind != JsonValueKind.Array || list.GetArrayLength() is 0 or > MaxCareContexts)
                errors["careContexts"] = [$"careContexts is a list of 1 to {MaxCareContexts} care contexts."];
            else
                foreach (var (item, i) in list.EnumerateArray().Select((item, i) => (item, i)))
                {
                    var reference = Text(item, "referenceNumber", errors, required: true, prefix: $"careContexts[{i}].");
                    var display = Text(item, "display", errors, required: true, prefix: $"careContexts[{i}].");
                    var hiType = Text(item, "hiType", errors, required: true, prefix: $"careContexts[{i}].");
                    if (hiType is not null && !HiTypes.Contains(hiType, StringComparer.Ordinal))
                        errors[$"careContexts[{i}].hiType"] = [$"hiType is one of {string.Join(", ", HiTypes)}."];
                    if (reference is not null && careContexts.Any(c => c.ReferenceNumber == reference))
                        errors[$"careContexts[{i}].referenceNumber"] = [$"care context '{reference}' is named twice."];
                    else if (reference is not null && display is not null && hiType is not null)
                        careContexts.Add(new LinkedCareContext(reference, display, hiType));
                }
            var request = new LinkRequest(Text(root, "hipId", errors), abha ?? "", Text(root, "abhaNumber", errors),
                Text(root, "patientReference", errors, required: true) ?? "", Text(root, "patientName", errors, required: true) ?? "", gender, year, careContexts);
            return errors.Count == 0 ? request : null;
        }

        static string? Text(JsonElement element, string name, Dictionary<string, string[]> errors, bool required = false, string prefix = "") =>
            JsonFields.Text(element, name, errors, required, max: 256, prefix: prefix);
    }
}
