using System.Text.Json;
using IntegrationHub.Gateway.Store;
using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace IntegrationHub.Gateway.Api;

/// <summary><c>GET /api/v1/requests/{id}</c>: the request's status and timeline, for its own department only.</summary>
internal static class GetRequestStatus
{
    public static async Task<Results<Ok<RequestStatusResponse>, ProblemHttpResult>> Handle(
        string id, HttpContext http, IRequestStore store, HubBusRegistry buses)
    {
        var department = http.User.Department()!;
        RequestRecord? request;
        await using (var transaction = buses.Transactions(GatewayEndpoint.EndpointName).Begin())
        {
            request = await store.Find(department, id);
            await transaction.Complete();
        }

        // Another department's request is "not found" too: its existence is not revealed.
        if (request is null)
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Request not found",
                detail: $"There is no request '{id}' for department '{department}'.");

        return TypedResults.Ok(new RequestStatusResponse(request.RequestId, request.Service, request.Status, request.AcceptedAt,
            request.UpdatedAt, ResultJson(request.Result), request.Error,
            request.Timeline.Select(t => new TimelineEntryResponse(t.At, t.Step, t.Detail)).ToList()));
    }

    /// <summary>The provider's result is JSON and shown as such; anything else is shown as a string.</summary>
    static JsonElement? ResultJson(string? result)
    {
        if (result is null)
            return null;
        try
        {
            using var document = JsonDocument.Parse(result);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return JsonSerializer.SerializeToElement(result);
        }
    }
}
