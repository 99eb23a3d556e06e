using System.ComponentModel;
using System.Text.Json;
using IntegrationHub.Contracts.Providers.Commands;
using IntegrationHub.Contracts.Requests.Events;
using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Bus;
using IntegrationHub.Hosting.Departments;
using IntegrationHub.Hosting.Http;
using IntegrationHub.Hosting.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using RebusHeaders = Rebus.Messages.Headers;

namespace IntegrationHub.Gateway.Api;

[Description("A request from a department to one of the hub's services.")]
public sealed record SubmitRequestBody(
    [property: Description("The service requested, as configured in the hub (Hub:Gateway:Services).")] string Service,
    [property: Description("The department's JSON object, passed to the provider as is.")] JsonElement Payload);

/// <summary>The department-facing routes, under <c>/api/v1/requests</c>, on the department contract.</summary>
public static class RequestsApi
{
    public const string Prefix = "/api/v1/requests";
    const string SubmitRoute = "POST " + Prefix;

    public static RouteGroupBuilder MapRequestsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Prefix).WithTags("Requests").RequireDepartment();

        group.MapPost("", Submit)
            .RequireAuthorization(GatewayScopes.Write.Name)
            .WithName("SubmitRequest")
            .WithSummary("Submit a request to a service")
            .WithDescription(
                "Needs scope `requests:write`. Answers 202 at once with the request id and where to poll its status; " +
                "the provider is called asynchronously. Send an `Idempotency-Key` header (≤ 255 printable characters) to make retries safe: " +
                "the same key with the same body returns the original request (header `Idempotent-Replayed: true`); with a " +
                "different body it is rejected with 422; 409 while a request with the same key is still being stored.")
            .Accepts<SubmitRequestBody>("application/json")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        group.MapGet("{id}", Show)
            .RequireAuthorization(GatewayScopes.Read.Name)
            .WithName("GetRequest")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Get a request's status, result and timeline")
            .WithDescription("Needs scope `requests:read`. Only the department that submitted the request can see it; others get 404.");

        return group;
    }

    /// <summary><c>POST /api/v1/requests</c>: validate, store, hand on (ForwardRequest + RequestAccepted), answer 202.</summary>
    static async Task<Results<Accepted<AcceptedView>, ValidationProblem, ProblemHttpResult>> Submit(HttpContext http,
        [FromServices] EndpointRuntime<GatewayEndpoint> gateway, [FromServices] GatewayOptions options, [FromServices] TimeProvider clock)
    {
        var department = http.User.Department()!;
        var errors = new Dictionary<string, string[]>();
        var key = IdempotencyKeys.Read(http.Request, errors);

        var raw = await RequestBodies.ReadLimited(http.Request, options.MaxRequestBytes);
        if (raw is null)
            return RequestBodies.TooLarge(options.MaxRequestBytes);

        var body = RequestBody.Parse(raw, errors);
        if (body is null || errors.Count > 0)
            return TypedResults.ValidationProblem(errors, title: "The request is not valid");

        if (!options.Services.TryGetProvider(body.Service, out var provider))
            return TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "Unknown service",
                detail: $"There is no service '{body.Service}'. Known services: {string.Join(", ", options.Services.Names)}.",
                extensions: new Dictionary<string, object?> { ["knownServices"] = options.Services.Names.ToArray() });

        var request = new NewStatusResource(RequestIds.New(), department, clock.GetUtcNow(),
            new Dictionary<string, string> { ["service"] = body.Service }, SubmitRoute, key, body.Hash());
        var headers = new Dictionary<string, string> { [HubHeaders.Tenant] = department, [RebusHeaders.CorrelationId] = request.Id };
        return await gateway.Status.Accept(http, RequestStatus.Kind, request, async bus =>
        {
            await bus.Send(new ForwardRequest(request.Id, department, body.Service, provider, body.Payload.GetRawText(), request.AcceptedAt),
                new Dictionary<string, string>(headers));
            await bus.Publish(new RequestAccepted(request.Id, department, body.Service, request.AcceptedAt), new Dictionary<string, string>(headers));
        });
    }

    /// <summary><c>GET /api/v1/requests/{id}</c>: the request's status and timeline, for its own department only.</summary>
    static Task<Results<Ok<StatusView>, ProblemHttpResult>> Show(string id, HttpContext http, [FromServices] EndpointRuntime<GatewayEndpoint> gateway) =>
        gateway.Status.Show(RequestStatus.Kind, http.User.Department()!, id);
}
