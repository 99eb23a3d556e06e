using IntegrationHub.Adapters.Fhir;
using IntegrationHub.Clinical.Fhir;
using IntegrationHub.Clinical.Hl7v2;
using IntegrationHub.Hosting.Departments;
using IntegrationHub.Hosting.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.OpenApi;

namespace IntegrationHub.Clinical.Api;

/// <summary>
/// The synchronous clinical routes (docs/clinical.md), for departments with scope <c>clinical:read</c>:
/// <c>POST /api/v1/fhir/$validate</c> and <c>POST /api/v1/translate</c>. What is wrong with the FHIR in a body is
/// answered with an OperationOutcome saying where and why; what is wrong with the HTTP request (token, scope, size,
/// media type, query) with a problem (RFC 9457). Nothing is stored, and no body is ever logged.
/// </summary>
public static class ClinicalApi
{
    public const string Prefix = "/api/v1";
    public const string ValidatePath = Prefix + "/fhir/$validate";
    public const string TranslatePath = Prefix + "/translate";

    public static RouteGroupBuilder MapClinicalApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Prefix)
            .WithTags("Clinical")
            .RequireDepartment()
            .RequireAuthorization(ClinicalScopes.Read.Name);

        group.MapPost("fhir/$validate", Validate)
            .WithName("ValidateFhirResource")
            .WithSummary("Validate a FHIR R4 resource; the answer is an OperationOutcome")
            .WithDescription(
                "Needs scope `clinical:read`. The body is one resource (a Bundle too), `application/fhir+json` or `application/fhir+xml`. " +
                "It is validated against the base specification, the profiles it claims in `meta.profile` and each `profile` " +
                "(canonical URL, repeatable) of the query: 200 with the OperationOutcome whether or not it is valid (issues of " +
                "severity `error` mean it is not), as FHIR's $validate does. 400 with an OperationOutcome when the body holds no " +
                "FHIR resource at all (not JSON or XML, no known resourceType, past a limit). The answer is in the format Accept " +
                "asks for, else the body's.")
            .WithFhirBody()
            .Produces(StatusCodes.Status200OK, typeof(object), FhirMedia.Json, FhirMedia.Xml)
            .Produces(StatusCodes.Status400BadRequest, typeof(object), FhirMedia.Json, FhirMedia.Xml);

        group.MapPost("translate", Translate)
            .WithName("Translate")
            .WithSummary("Translate a clinical document from one format to another, synchronously (small payloads)")
            .WithDescription(
                "Needs scope `clinical:read`. `from` and `to` name the formats: `fhir` → `fhir` (the resource normalised) and " +
                "`hl7v2` → `fhir` (one HL7 v2 message, `application/hl7-v2` or `x-application/hl7-v2+er7`, as a FHIR message Bundle " +
                "after the HL7 v2-to-FHIR IG; the header `Hl7-Dropped` names the v2 fields the maps did not carry, and 422 says why " +
                "a message cannot be mapped); `fhir` → `hl7v2` (a Bundle, or a Patient, as ADT^A04, ADT^A08 or ORU^R01 — `messageType` " +
                "chooses, else the Bundle's event; 200 `x-application/hl7-v2+er7`, 422 with an OperationOutcome when it cannot be written); " +
                "`format` (`json` or `xml`) the FHIR format of the answer (default: Accept, else the body's). 200 with the " +
                "translated resource; 400 with an OperationOutcome when the body is not well-formed FHIR (what the parser refuses: " +
                "syntax, unknown elements, wrong values); 422 with an OperationOutcome when it is well-formed but breaks the " +
                "specification's rules; 400 with a problem when `from`, `to` or `format` is not supported.")
            .WithFhirBody()
            .Produces(StatusCodes.Status200OK, typeof(object), FhirMedia.Json, FhirMedia.Xml)
            .Produces(StatusCodes.Status400BadRequest, typeof(object), FhirMedia.Json, FhirMedia.Xml)
            .Produces(StatusCodes.Status422UnprocessableEntity, typeof(object), FhirMedia.Json, FhirMedia.Xml)
            .ProducesProblem(StatusCodes.Status400BadRequest);

        return group;
    }

    /// <summary>
    /// The FHIR request body, described for the OpenAPI document only: <c>Accepts</c> would also make routing refuse other
    /// media types with a bare 415, before the route can say which ones it takes.
    /// </summary>
    static RouteHandlerBuilder WithFhirBody(this RouteHandlerBuilder route) => route
        .AddOpenApiOperationTransformer((operation, _, _) =>
        {
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Description = "One FHIR R4 resource.",
                Content = new Dictionary<string, OpenApiMediaType> { [FhirMedia.Json] = new(), [FhirMedia.Xml] = new() },
            };
            return Task.CompletedTask;
        })
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

    static async Task<Results<ContentHttpResult, ProblemHttpResult>> Validate(HttpContext http, [FromQuery] string[]? profile,
        [FromServices] FhirChecks fhir, [FromServices] ClinicalOptions options)
    {
        var (body, format, refused) = await ReadBody(http.Request, options);
        if (refused is not null)
            return refused;

        var check = fhir.Check(body!, format, profile is { Length: > 0 } ? profile : null);
        var output = Answer(http.Request, null, format);
        return Fhir(fhir.Serialize(check.Outcome, output), output,
            check.Verdict == FhirVerdict.Unreadable ? StatusCodes.Status400BadRequest : StatusCodes.Status200OK);
    }

    static async Task<Results<ContentHttpResult, ProblemHttpResult>> Translate(HttpContext http, [FromQuery] string? from, [FromQuery] string? to,
        [FromQuery] string? format, [FromQuery] string? messageType, [FromServices] FhirChecks fhir, [FromServices] ClinicalOptions options,
        [FromServices] Hl7v2FhirTranslator hl7v2, [FromServices] Hl7v2Options hl7v2Options)
    {
        if (Translations.Problem(from, to) is { } unsupported)
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Unsupported translation", detail: unsupported,
                extensions: new Dictionary<string, object?>
                {
                    ["supportedFrom"] = Translations.Supported.Select(s => s.From).Distinct().ToArray(),
                    ["supportedTo"] = Translations.Supported.Select(s => s.To).Distinct().ToArray(),
                });
        var requested = FhirMedia.Named(format);
        if (format is not null && requested is null)
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Unknown format",
                detail: "format must be json or xml (or application/fhir+json, application/fhir+xml).");

        if (from == Translations.Hl7v2)
            return await TranslateHl7v2(http, requested, hl7v2, hl7v2Options);

        var (body, input, refused) = await ReadBody(http.Request, options);
        if (refused is not null)
            return refused;

        if (to == Translations.Hl7v2)
            return FhirToHl7v2(http, body!, input, fhir, hl7v2, messageType);

        var output = Answer(http.Request, requested, input);
        var translation = fhir.Translate(body!, input, output);
        return translation.Verdict switch
        {
            FhirVerdict.Valid => Fhir(translation.Output!, output, StatusCodes.Status200OK),
            FhirVerdict.Invalid => Fhir(fhir.Serialize(translation.Outcome, output), output, StatusCodes.Status422UnprocessableEntity),
            _ => Fhir(fhir.Serialize(translation.Outcome, output), output, StatusCodes.Status400BadRequest), // FHIR: could not be parsed
        };
    }

    /// <summary>
    /// HL7 v2 → FHIR: 200 with the message Bundle and, in <see cref="DroppedHeader"/>, the v2 fields the maps did not
    /// carry; 400 with an OperationOutcome when the body is not a v2 message the parser accepts; 422 when it is one the
    /// maps cannot carry (another trigger, no patient…).
    /// </summary>
    static async Task<Results<ContentHttpResult, ProblemHttpResult>> TranslateHl7v2(HttpContext http, FhirFormat? requested,
        Hl7v2FhirTranslator translator, Hl7v2Options options)
    {
        var media = http.Request.ContentType is { } type ? type.Split(';')[0].Trim() : "";
        if (!Hl7v2Api.Media.Contains(media, StringComparer.OrdinalIgnoreCase))
            return TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type",
                detail: $"Send the HL7 v2 message with Content-Type {Hl7v2Api.Hl7Media} or {Hl7v2Api.Er7Media}.");
        var body = await RequestBodies.ReadLimited(http.Request, options.MaxMessageBytes);
        if (body is null)
            return RequestBodies.TooLarge(options.MaxMessageBytes, "HL7 v2 message");

        var output = requested ?? FhirMedia.Accepted(http.Request) ?? FhirFormat.Json;
        var translation = translator.ToFhir(body, output);
        if (translation.Output is { } bundle)
        {
            var dropped = translation.Dropped.Select(d => d.Location).Distinct().ToList();
            if (dropped.Count > 0)
                http.Response.Headers[DroppedHeader] = string.Join(", ", dropped.Take(MaxDroppedInHeader)) + (dropped.Count > MaxDroppedInHeader ? ", …" : "");
            return Fhir(bundle, output, StatusCodes.Status200OK);
        }
        return Fhir(translator.Serialize(translation.Outcome, output), output, translation.Verdict == FhirVerdict.Invalid ? StatusCodes.Status422UnprocessableEntity : StatusCodes.Status400BadRequest);
    }

    /// <summary>
    /// FHIR → HL7 v2: a valid resource (a Bundle, or a Patient) as one ER7 message, 200; the FHIR's own problems as for
    /// fhir → fhir (400, 422); 422 with an OperationOutcome when it cannot make that message (no Patient, no identifier).
    /// </summary>
    static Results<ContentHttpResult, ProblemHttpResult> FhirToHl7v2(HttpContext http, byte[] body, FhirFormat input, FhirChecks fhir,
        Hl7v2FhirTranslator translator, string? messageType)
    {
        if (messageType is not null && !IntegrationHub.Adapters.Hl7v2Fhir.FhirToHl7v2.MessageTypes.Contains(messageType))
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Unknown message type",
                detail: $"messageType must be one of {string.Join(", ", IntegrationHub.Adapters.Hl7v2Fhir.FhirToHl7v2.MessageTypes)}.");
        var output = FhirMedia.Accepted(http.Request) ?? input;
        var check = fhir.Check(body, input);
        if (check.Verdict != FhirVerdict.Valid)
            return Fhir(fhir.Serialize(check.Outcome, output), output,
                check.Verdict == FhirVerdict.Invalid ? StatusCodes.Status422UnprocessableEntity : StatusCodes.Status400BadRequest);
        var (message, outcome) = translator.ToHl7v2(check.Resource!, messageType);
        if (message is null)
            return Fhir(fhir.Serialize(outcome, output), output, StatusCodes.Status422UnprocessableEntity);
        return TypedResults.Text(message, Hl7v2Api.Er7Media, System.Text.Encoding.UTF8, StatusCodes.Status200OK);
    }

    /// <summary>The v2 fields (locations only, never values) a translation left out; the full list is the outcome's.</summary>
    public const string DroppedHeader = "Hl7-Dropped";
    const int MaxDroppedInHeader = 50;

    /// <summary>The body and its FHIR format, or the problem that refuses it (unknown media type, too large).</summary>
    internal static async Task<(byte[]? Body, FhirFormat Format, ProblemHttpResult? Refused)> ReadBody(HttpRequest request, ClinicalOptions options)
    {
        if (FhirMedia.OfBody(request) is not { } format)
            return (null, default, TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type",
                detail: $"Send the resource with Content-Type {FhirMedia.Json} or {FhirMedia.Xml}."));
        var body = await RequestBodies.ReadLimited(request, options.MaxRequestBytes);
        return body is null ? (null, format, RequestBodies.TooLarge(options.MaxRequestBytes)) : (body, format, null);
    }

    /// <summary>The answer's format: the one the query names, else the one Accept prefers, else the body's.</summary>
    static FhirFormat Answer(HttpRequest request, FhirFormat? requested, FhirFormat body) => requested ?? FhirMedia.Accepted(request) ?? body;

    internal static ContentHttpResult Fhir(string text, FhirFormat format, int status) =>
        TypedResults.Text(text, FhirMedia.ContentType(format), System.Text.Encoding.UTF8, status);
}
