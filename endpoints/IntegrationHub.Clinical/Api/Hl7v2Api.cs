using IntegrationHub.Clinical.Hl7v2;
using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Departments;
using IntegrationHub.Hosting.Http;
using IntegrationHub.Hosting.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.OpenApi;

namespace IntegrationHub.Clinical.Api;

/// <summary>
/// <c>POST /api/v1/hl7v2</c> (scope <c>clinical:write</c>): one HL7 v2 message in, its ACK out — the same intake as the
/// MLLP listeners (<see cref="Hl7v2Intake"/>), for the token's department.
/// </summary>
public static class Hl7v2Api
{
    public const string Path = ClinicalApi.Prefix + "/hl7v2";
    public const string Er7Media = "x-application/hl7-v2+er7";
    public const string Hl7Media = "application/hl7-v2";
    public const string DuplicateHeader = "Hl7-Duplicate";
    internal static readonly string[] Media = [Hl7Media, Er7Media, "application/hl7-v2+er7"];

    public static RouteGroupBuilder MapHl7v2Api(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(ClinicalApi.Prefix)
            .WithTags("Clinical")
            .RequireDepartment()
            .RequireAuthorization(ClinicalScopes.Write.Name);

        group.MapPost("hl7v2", Receive)
            .WithName("ReceiveHl7v2Message")
            .WithSummary("Hand one HL7 v2 message to the hub; the answer is its ACK")
            .WithDescription(
                "Needs scope `clinical:write`. The body is one ER7-encoded message (`application/hl7-v2` or " +
                "`x-application/hl7-v2+er7`; the character set is the one MSH-18 declares). MSH-3^MSH-4 must be one of the " +
                "token's department's senders (`Hub:Clinical:Hl7v2:Departments:{id}:Senders`). 200 with the AA (CA) ACK once " +
                "the message is held by the hub; the same sender's MSH-10 again within the duplicate window is ACKed again " +
                $"(`{DuplicateHeader}: true`) and not handed on twice. 400 with the AR (CR) ACK, whose ERR segments say what is " +
                "wrong; 400 with a problem when no MSH can be read. 503 with the AE (CE) ACK and `Retry-After` when the hub " +
                "cannot store it right now: send it again. 204 when MSH-15 asked for no commit ACK.")
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                operation.RequestBody = new OpenApiRequestBody
                {
                    Required = true,
                    Description = "One HL7 v2 message (ER7).",
                    Content = Media.Take(2).ToDictionary(m => m, _ => new OpenApiMediaType()),
                };
                return Task.CompletedTask;
            })
            .Produces(StatusCodes.Status200OK, typeof(string), Hl7Media, Er7Media)
            .Produces(StatusCodes.Status204NoContent)
            .Produces(StatusCodes.Status400BadRequest, typeof(string), Hl7Media, Er7Media)
            .Produces(StatusCodes.Status503ServiceUnavailable, typeof(string), Hl7Media, Er7Media)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        return group;
    }

    static async Task<Results<AckResult, NoContent, ProblemHttpResult>> Receive(HttpContext http, [FromServices] Hl7v2Intake intake,
        [FromServices] Hl7v2Options options)
    {
        var media = http.Request.ContentType is { } type ? type.Split(';')[0].Trim() : "";
        if (!Media.Contains(media, StringComparer.OrdinalIgnoreCase))
            return TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type",
                detail: $"Send one HL7 v2 message with Content-Type {Hl7Media} or {Er7Media}.");
        var body = await RequestBodies.ReadLimited(http.Request, options.MaxMessageBytes);
        if (body is null)
            return RequestBodies.TooLarge(options.MaxMessageBytes, "HL7 v2 message");

        var department = DepartmentRegistry.Normalize(http.User.Department()!);
        var result = await intake.Receive(new Hl7v2Source(department, "http"), body, http.RequestAborted);
        if (result.Outcome == Hl7v2IntakeOutcome.Duplicate)
            http.Response.Headers[DuplicateHeader] = "true";
        if (result.Outcome == Hl7v2IntakeOutcome.Unavailable)
            http.Response.Headers.RetryAfter = "5";
        if (result.Ack is not { } ack)
            return result.Outcome switch
            {
                Hl7v2IntakeOutcome.Accepted or Hl7v2IntakeOutcome.Duplicate => TypedResults.NoContent(),
                // Enhanced mode asked for no commit ACK on error, but the sender must still learn to send again.
                Hl7v2IntakeOutcome.Unavailable => EndpointRuntime.Unavailable(http, "The hub could not store the message right now; send it again."),
                Hl7v2IntakeOutcome.Unreadable => TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Not an HL7 v2 message",
                    detail: "The body has no MSH segment the hub can read."),
                _ => TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "HL7 v2 message refused",
                    detail: result.Reason is { } reason ? $"The message is refused: {reason}." : "The message is refused."),
            };
        var status = result.Outcome switch
        {
            Hl7v2IntakeOutcome.Accepted or Hl7v2IntakeOutcome.Duplicate => StatusCodes.Status200OK,
            Hl7v2IntakeOutcome.Unavailable => StatusCodes.Status503ServiceUnavailable,
            _ => StatusCodes.Status400BadRequest,
        };
        return new AckResult(ack, status, media.Equals(Hl7Media, StringComparison.OrdinalIgnoreCase) ? Hl7Media : Er7Media);
    }

    /// <summary>An ACK as the body, with the status that goes with it (FileContentHttpResult always answers 200).</summary>
    public sealed class AckResult(byte[] ack, int statusCode, string contentType) : IResult, IStatusCodeHttpResult, IContentTypeHttpResult
    {
        public int? StatusCode => statusCode;
        public string ContentType => contentType;

        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = statusCode;
            httpContext.Response.ContentType = contentType;
            httpContext.Response.ContentLength = ack.Length;
            return httpContext.Response.Body.WriteAsync(ack).AsTask();
        }
    }
}
