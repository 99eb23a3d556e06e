using IntegrationHub.Contracts.Providers.Commands;
using IntegrationHub.Contracts.Requests.Events;
using IntegrationHub.Gateway.Store;
using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Bus;
using IntegrationHub.Hosting.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using RebusHeaders = Rebus.Messages.Headers;

namespace IntegrationHub.Gateway.Api;

/// <summary><c>POST /api/v1/requests</c>: validate, store, hand on (ForwardRequest + RequestAccepted), answer 202.</summary>
internal static class SubmitRequest
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotent-Replayed";
    const int MaxIdempotencyKeyLength = 255;
    const string RetryAfterSeconds = "5";

    public static async Task<Results<Accepted<RequestAcceptedResponse>, ValidationProblem, ProblemHttpResult>> Handle(
        HttpContext http, IRequestStore store, HubBusRegistry buses, ServiceCatalog services, IOptions<GatewayOptions> options,
        TimeProvider clock, ILogger<GatewayEndpoint> logger, CancellationToken cancellationToken)
    {
        var department = http.User.Department()!;
        var errors = new Dictionary<string, string[]>();
        var key = http.Request.Headers[IdempotencyKeyHeader].ToString();
        if (http.Request.Headers.ContainsKey(IdempotencyKeyHeader) && (key.Length == 0 || key.Length > MaxIdempotencyKeyLength))
            errors[IdempotencyKeyHeader] = [$"The Idempotency-Key header must be 1 to {MaxIdempotencyKeyLength} characters."];

        var maxBytes = options.Value.MaxRequestBytes;
        var raw = await RequestBody.ReadLimited(http.Request, maxBytes, cancellationToken);
        if (raw is null)
            return TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Request too large",
                detail: $"The body is larger than the {maxBytes} bytes the gateway accepts.");

        var body = RequestBody.Parse(raw, errors);
        if (body is null || errors.Count > 0)
            return TypedResults.ValidationProblem(errors, title: "The request is not valid");

        if (!services.TryGetProvider(body.Service, out var provider))
            return TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "Unknown service",
                detail: $"There is no service '{body.Service}'. Known services: {string.Join(", ", services.Names)}.",
                extensions: new Dictionary<string, object?> { ["knownServices"] = services.Names.ToArray() });

        var hash = body.Hash();
        var idempotencyKey = key.Length > 0 ? key : null;
        var request = new NewRequest(RequestIds.New(), department, body.Service, clock.GetUtcNow(), idempotencyKey, hash);
        var headers = new Dictionary<string, string> { [HubHeaders.Tenant] = department, [RebusHeaders.CorrelationId] = request.RequestId };

        // Open until the end: a refused key is looked up in it.
        await using var transaction = buses.Transactions(GatewayEndpoint.EndpointName).Begin();
        bool stored;
        try
        {
            var bus = buses.Get(GatewayEndpoint.EndpointName);
            await bus.Send(new ForwardRequest(request.RequestId, department, body.Service, provider, body.Payload.GetRawText(), request.AcceptedAt),
                new Dictionary<string, string>(headers));
            await bus.Publish(new RequestAccepted(request.RequestId, department, body.Service, request.AcceptedAt), new Dictionary<string, string>(headers));
            stored = await store.Add(request, transaction);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            // The database or the bus is away: say so, and that a retry with the same key is safe.
            logger.LogError(exception, "Request {RequestId} of {Department} for {Service} could not be stored", request.RequestId, department, body.Service);
            http.Response.Headers.RetryAfter = RetryAfterSeconds;
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Try again later",
                detail: "The hub could not store the request right now. Send it again" +
                        (idempotencyKey is null ? "; send an Idempotency-Key header to make retries safe." : " with the same Idempotency-Key."));
        }
        if (stored)
            return Accepted(request.RequestId, RequestStatus.Accepted);

        // The department used this key before (or a concurrent request with it was stored first): nothing was sent.
        return await store.FindIdempotencyKey(department, idempotencyKey!) is { } earlier
            ? await Replay(http, store, department, earlier, hash)
            : TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Request in progress",
                detail: "A request with the same Idempotency-Key is being stored right now; retry in a moment.");
    }

    static async Task<Results<Accepted<RequestAcceptedResponse>, ValidationProblem, ProblemHttpResult>> Replay(
        HttpContext http, IRequestStore store, string department, IdempotencyRecord earlier, string hash)
    {
        if (earlier.BodyHash != hash)
            return TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "Idempotency-Key reused",
                detail: "This Idempotency-Key was already used with a different body. Use a new key for a new request.");

        var original = await store.Find(department, earlier.RequestId);
        http.Response.Headers[ReplayedHeader] = "true";
        return Accepted(earlier.RequestId, original?.Status ?? RequestStatus.Accepted);
    }

    static Accepted<RequestAcceptedResponse> Accepted(string requestId, string status)
    {
        var url = RequestsApi.StatusUrl(requestId);
        return TypedResults.Accepted(url, new RequestAcceptedResponse(requestId, status, url));
    }
}
