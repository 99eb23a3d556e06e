using System.Security.Cryptography;
using System.Text;
using IntegrationHub.Clinical.Fhir;
using IntegrationHub.Clinical.Hl7v2;
using IntegrationHub.Clinical.Routes;
using IntegrationHub.Contracts.Clinical.Commands;
using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Departments;
using IntegrationHub.Hosting.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace IntegrationHub.Clinical.Api;

/// <summary>
/// Deliveries of clinical data to a department's systems, under the department contract: <c>POST /api/v1/clinical/deliveries</c>
/// (scope <c>clinical:write</c>) takes FHIR and delivers it as HL7 v2 to the department's legacy system
/// (<c>Hub:Clinical:Routes:{id}:Hl7v2Destination</c>), 202 with the delivery's status resource; <c>GET …/{id}</c> (scope
/// <c>clinical:read</c>) shows any delivery of the department — these, and those its HL7 v2 messages began
/// (<c>{eventId}:fhir</c>, <c>{eventId}:hl7v2</c>).
/// </summary>
public static class DeliveriesApi
{
    const string SubmitRoute = "POST " + ClinicalDelivery.Route;

    public static RouteGroupBuilder MapDeliveriesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(ClinicalDelivery.Route).WithTags("Clinical").RequireDepartment();

        group.MapPost("", Submit)
            .RequireAuthorization(ClinicalScopes.Write.Name)
            .WithName("DeliverClinicalData")
            .WithSummary("Deliver FHIR data to the department's legacy system as HL7 v2")
            .WithDescription(
                "Needs scope `clinical:write`. The body is one FHIR resource (`application/fhir+json` or `application/fhir+xml`): a " +
                "Bundle (message, transaction or collection) or a Patient. It is validated, written as HL7 v2 — `messageType` " +
                "(ADT^A04, ADT^A08, ORU^R01) chooses, else the Bundle's event — and delivered over MLLP to the department's " +
                "`Hub:Clinical:Routes:{id}:Hl7v2Destination`, with retries (`Hub:Clinical:Deliveries`). 202 with the delivery id " +
                "and where to follow it; the webhooks `hl7v2.delivered` and `hl7v2.delivery_failed` say how it ended. " +
                "`Idempotency-Key` as on every department route. 400/422 with an OperationOutcome when the FHIR is not " +
                "well-formed, breaks the specification, or cannot be written as that message; 409 when the department has no " +
                "legacy system to deliver to; 400 with a problem for an unknown `to` or `messageType`.")
            .Produces<AcceptedView>(StatusCodes.Status202Accepted)
            .Produces(StatusCodes.Status400BadRequest, typeof(object), FhirMedia.Json, FhirMedia.Xml)
            .Produces(StatusCodes.Status422UnprocessableEntity, typeof(object), FhirMedia.Json, FhirMedia.Xml)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        group.MapGet("{id}", Show)
            .RequireAuthorization(ClinicalScopes.Read.Name)
            .WithName("GetClinicalDelivery")
            .WithSummary("Get a delivery's status and timeline (attempts, retries, the end)")
            .WithDescription("Needs scope `clinical:read`. Only the department whose data it is can see it; others get 404.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        return group;
    }

    static async Task<Results<Accepted<AcceptedView>, ValidationProblem, ProblemHttpResult, ContentHttpResult>> Submit(HttpContext http,
        [FromQuery] string? to, [FromQuery] string? messageType, [FromServices] EndpointRuntime<ClinicalEndpoint> clinical,
        [FromServices] ClinicalRoutesOptions routes, [FromServices] FhirChecks fhir, [FromServices] ClinicalOptions options,
        [FromServices] Hl7v2FhirTranslator translator, [FromServices] TimeProvider clock)
    {
        var department = DepartmentRegistry.Normalize(http.User.Department()!);
        var errors = new Dictionary<string, string[]>();
        var key = IdempotencyKeys.Read(http.Request, errors);
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors, title: "The request is not valid");
        if (to is not (null or ClinicalDelivery.Hl7v2))
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Unsupported delivery",
                detail: $"to must be {ClinicalDelivery.Hl7v2} (FHIR delivered as HL7 v2 to the department's legacy system).");
        if (messageType is not null && !IntegrationHub.Adapters.Hl7v2Fhir.FhirToHl7v2.MessageTypes.Contains(messageType))
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Unknown message type",
                detail: $"messageType must be one of {string.Join(", ", IntegrationHub.Adapters.Hl7v2Fhir.FhirToHl7v2.MessageTypes)}.");
        if (routes.Of(department)?.Hl7v2Destination is not { } destination)
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "No legacy system to deliver to",
                detail: $"Department '{department}' names no HL7 v2 destination ({ClinicalRoutesOptions.SectionName}:{department}:Hl7v2Destination).");

        var (body, input, refused) = await ClinicalApi.ReadBody(http.Request, options);
        if (refused is not null)
            return refused;
        var output = FhirMedia.Accepted(http.Request) ?? input;
        var check = fhir.Check(body!, input);
        if (check.Verdict != FhirVerdict.Valid)
            return ClinicalApi.Fhir(fhir.Serialize(check.Outcome, output), output,
                check.Verdict == FhirVerdict.Invalid ? StatusCodes.Status422UnprocessableEntity : StatusCodes.Status400BadRequest);
        var (message, outcome) = translator.ToHl7v2(check.Resource!, messageType);
        if (message is null)
            return ClinicalApi.Fhir(fhir.Serialize(outcome, output), output, StatusCodes.Status422UnprocessableEntity);

        var delivery = new NewStatusResource("dlv_" + Guid.NewGuid().ToString("N"), department, clock.GetUtcNow(),
            ClinicalDelivery.Attributes(ClinicalDelivery.Hl7v2, destination, patientId: null), SubmitRoute, key, Hash(body!, messageType));
        var accepted = await clinical.Status.Accept(http, ClinicalDelivery.Kind, delivery,
            bus => bus.SendLocal(new DeliverHl7v2Message(delivery.Id, department, destination, message)));
        return accepted.Result switch
        {
            Accepted<AcceptedView> ok => ok,
            ValidationProblem invalid => invalid,
            ProblemHttpResult problem => problem,
            var other => throw new InvalidOperationException($"Accept answered {other.GetType().Name}"),
        };
    }

    static Task<Results<Ok<StatusView>, ProblemHttpResult>> Show(string id, HttpContext http, [FromServices] EndpointRuntime<ClinicalEndpoint> clinical) =>
        clinical.Status.Show(ClinicalDelivery.Kind, DepartmentRegistry.Normalize(http.User.Department()!), id);

    /// <summary>The same body with the same message type is the same delivery (an idempotent replay).</summary>
    static string Hash(byte[] body, string? messageType) =>
        Convert.ToHexString(SHA256.HashData([.. body, .. Encoding.UTF8.GetBytes("\n" + messageType)]));
}
