using System.Security.Cryptography;
using System.Text.Json;
using IntegrationHub.Contracts.Providers.Commands;
using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Http;
using IntegrationHub.Hosting.Security;
using IntegrationHub.Providers.Exchanges;
using IntegrationHub.Providers.Registry;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Rebus.Messages;

namespace IntegrationHub.Providers.Api;

/// <summary>A provider's answer was accepted for processing; <c>callbackId</c> identifies this delivery.</summary>
public sealed record CallbackAccepted(string CallbackId);

/// <summary>
/// The Providers endpoint's HTTP side: the callback API providers answer on (verified by their signature, no token) and
/// the operators' list of unmatched callbacks (scope <c>ops</c>).
/// </summary>
public static class ProvidersApi
{
    public const string Prefix = "/api/v1/providers";
    public const int MaxCallbackBytes = 1024 * 1024;
    static readonly string[] DeliveryIdHeaders = ["Idempotency-Key", "X-Request-Id"];

    public static RouteGroupBuilder MapProvidersApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Prefix).WithTags("Provider callbacks");
        group.MapPost("/{provider}/responses", ReceiveCallback)
            .AllowAnonymous() // authenticated by the provider's signature, not by a token
            .WithName("ReceiveProviderCallback")
            .WithSummary("A provider's answer to a request the hub forwarded to it")
            .Accepts<ProviderCallbackBody>("application/json")
            .Produces<CallbackAccepted>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        group.MapGet("/unmatched-callbacks", ListUnmatched)
            .RequireAuthorization(HubScopes.Ops)
            .WithName("ListUnmatchedProviderCallbacks")
            .WithSummary("Provider callbacks that matched no running request, the most recent first")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        return group;
    }

    /// <summary>The documented shape of a callback (the API reads the raw body, because the signature covers its bytes).</summary>
    public sealed record ProviderCallbackBody(string CorrelationId, string Status, JsonElement? Result, string? Error);

    /// <summary>What operators see of an unmatched callback (its result and error are kept, but not listed).</summary>
    public sealed record UnmatchedCallbackView(string CallbackId, string Provider, string CorrelationId, string Status, string Reason, DateTimeOffset ReceivedAt);

    static async Task<Results<Accepted<CallbackAccepted>, ProblemHttpResult>> ReceiveCallback(
        string provider, HttpContext http, [FromServices] ProviderRegistry providers, [FromServices] EndpointRuntime<ProvidersEndpoint> endpoint,
        [FromServices] TimeProvider time)
    {
        if (!providers.TryGet(provider, out var settings))
            return Problem(StatusCodes.Status404NotFound, "Unknown provider", $"No provider named '{provider}' is configured.");

        var body = await RequestBodies.ReadLimited(http.Request, MaxCallbackBytes);
        if (body is null)
            return RequestBodies.TooLarge(MaxCallbackBytes, "callback body");

        var now = time.GetUtcNow();
        var signature = HubSignature.Verify(http.Request.Headers[HubSignature.HeaderName], settings.CallbackSecret, body, now);
        if (signature != HubSignature.Result.Valid)
            return Problem(StatusCodes.Status401Unauthorized, "Invalid signature", signature switch
            {
                HubSignature.Result.Missing => $"The {HubSignature.HeaderName} header is missing.",
                HubSignature.Result.Expired => $"The {HubSignature.HeaderName} timestamp is more than {HubSignature.DefaultTolerance.TotalMinutes:0} minutes away from the hub's clock.",
                _ => $"The {HubSignature.HeaderName} header does not match the body and the provider's secret.",
            });

        using var json = JsonBodies.Parse(body, out var problem);
        if (json is null || Parse(json.RootElement) is not { } callback)
            return Problem(StatusCodes.Status400BadRequest, "Malformed callback", (problem is null ? "" : problem + " ") +
                "The body must be JSON: { \"correlationId\": string, \"status\": \"completed\"|\"failed\", \"result\"?: any, \"error\"?: string }.");

        var callbackId = DeliveryId(http.Request, settings.Name) ?? "sha256:" + Convert.ToHexStringLower(SHA256.HashData(body));
        var command = new RecordProviderCallback(callbackId, settings.Name, callback.CorrelationId, callback.Status, callback.Result, callback.Error, now);
        var unavailable = await endpoint.Commit(http,
            bus => bus.SendLocal(command, new Dictionary<string, string> { [Headers.CorrelationId] = callback.CorrelationId }), "the callback");
        if (unavailable is not null)
            return unavailable;

        return TypedResults.Accepted((string?)null, new CallbackAccepted(callbackId));
    }

    static async Task<Ok<UnmatchedCallbackView[]>> ListUnmatched([FromServices] IProviderExchangeStore store, string? provider, int? limit,
        CancellationToken cancellationToken)
    {
        var found = await store.ListUnmatched(provider, Math.Clamp(limit ?? 100, 1, 1000), cancellationToken);
        return TypedResults.Ok(found.Select(c => new UnmatchedCallbackView(c.CallbackId, c.Provider, c.CorrelationId, c.Status, c.Reason, c.ReceivedAt)).ToArray());
    }

    sealed record ParsedCallback(string CorrelationId, string Status, string? Result, string? Error);

    static ParsedCallback? Parse(JsonElement root)
    {
        try
        {
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("correlationId", out var id) || id.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(id.GetString())
                || !root.TryGetProperty("status", out var status) || status.GetString() is not (CallbackStatus.Completed or CallbackStatus.Failed))
                return null;
            string? error = null;
            if (root.TryGetProperty("error", out var e) && e.ValueKind != JsonValueKind.Null)
            {
                if (e.ValueKind != JsonValueKind.String) return null;
                error = e.GetString();
            }
            var result = root.TryGetProperty("result", out var r) && r.ValueKind != JsonValueKind.Null ? r.GetRawText() : null;
            return new ParsedCallback(id.GetString()!, status.GetString()!, result, error);
        }
        catch (InvalidOperationException)
        {
            return null; // status of another JSON type than string
        }
    }

    static string? DeliveryId(HttpRequest request, string provider)
    {
        foreach (var header in DeliveryIdHeaders)
            if (request.Headers[header].ToString() is { Length: > 0 and <= 200 } value)
                return $"{provider}:{value}";
        return null;
    }

    static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title);
}
