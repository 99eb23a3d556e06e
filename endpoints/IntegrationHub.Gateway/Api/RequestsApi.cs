using IntegrationHub.Hosting.Security;

namespace IntegrationHub.Gateway.Api;

public static class RequestsApi
{
    public const string Prefix = "/api/v1/requests";

    public static string StatusUrl(string requestId) => $"{Prefix}/{Uri.EscapeDataString(requestId)}";

    /// <summary>The department-facing routes, under <c>/api/v1/requests</c>.</summary>
    public static RouteGroupBuilder MapRequestsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Prefix)
            .WithTags("Requests")
            .AddEndpointFilter<DepartmentGate>()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

        group.MapPost("", SubmitRequest.Handle)
            .RequireAuthorization(HubScopes.RequestsWrite)
            .WithName("SubmitRequest")
            .WithSummary("Submit a request to a service")
            .WithDescription(
                "Needs scope `requests:write`. Answers 202 at once with the request id and where to poll its status; " +
                "the provider is called asynchronously. Send an `Idempotency-Key` header (≤ 255 characters) to make retries safe: " +
                "the same key with the same body returns the original request (header `Idempotent-Replayed: true`); with a " +
                "different body it is rejected with 422; 409 while a request with the same key is still being stored.")
            .Accepts<SubmitRequestBody>("application/json")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        group.MapGet("{id}", GetRequestStatus.Handle)
            .RequireAuthorization(HubScopes.RequestsRead)
            .WithName("GetRequest")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Get a request's status, result and timeline")
            .WithDescription("Needs scope `requests:read`. Only the department that submitted the request can see it; others get 404.");

        return group;
    }
}
