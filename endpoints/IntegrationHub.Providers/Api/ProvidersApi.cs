using System.Security.Cryptography;
using System.Text.Json;
using IntegrationHub.Contracts.Providers.Commands;
using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Security;
using IntegrationHub.Providers.Exchanges;
using IntegrationHub.Providers.Registry;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Rebus.Messages;

namespace IntegrationHub.Providers.Api;

/// <summary>A provider's answer was accepted for processing; <c>callbackId</c> identifies this delivery.</summary>
public sealed record CallbackAccepted(string CallbackId);

/// <summary>
/// The Providers endpoint's HTTP side: the callback API providers answer on (<see cref="MapProviderCallbacksApi"/>)
/// and the operators' list of unmatched callbacks (<see cref="MapUnmatchedCallbacksApi"/>).
/// </summary>
public static class ProvidersApi
{
    public const int MaxCallbackBytes = 1024 * 1024;
    static readonly string[] DeliveryIdHeaders = ["Idempotency-Key", "X-Request-Id"];

    /// <summary>Registers what the APIs need; checks the provider configuration now (a mistake stops start-up).</summary>
    public static IHostApplicationBuilder AddProvidersApi(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton(ProviderRegistry.From(builder.Configuration));
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddProblemDetails();
        builder.Services.AddKeyedSingleton<IProviderExchangeStore>(ProvidersEndpoint.DefaultName, (sp, _) =>
            Endpoint(sp).Store(sp.GetRequiredService<IOptions<HubOptions>>().Value));
        return builder;
    }

    /// <summary><c>POST /api/v1/providers/{provider}/responses</c>: signed provider answers (docs/providers.md).</summary>
    public static RouteGroupBuilder MapProviderCallbacksApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/providers").WithTags("Provider callbacks");
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
        return group;
    }

    /// <summary>
    /// <c>GET /api/v1/providers/unmatched-callbacks?provider=&amp;limit=</c> for operators, behind the authorization
    /// policy <paramref name="policy"/> (the hub's "ops" scope).
    /// </summary>
    public static RouteGroupBuilder MapUnmatchedCallbacksApi(this IEndpointRouteBuilder app, string policy = "ops")
    {
        var group = app.MapGroup("/api/v1/providers").WithTags("Provider callbacks");
        group.MapGet("/unmatched-callbacks", ListUnmatched)
            .RequireAuthorization(policy)
            .WithName("ListUnmatchedProviderCallbacks")
            .WithSummary("Provider callbacks that matched no running request, the most recent first");
        return group;
    }

    /// <summary>The documented shape of a callback (the API reads the raw body, because the signature covers its bytes).</summary>
    public sealed record ProviderCallbackBody(string CorrelationId, string Status, JsonElement? Result, string? Error);

    /// <summary>What operators see of an unmatched callback (its result and error are kept, but not listed).</summary>
    public sealed record UnmatchedCallbackView(string CallbackId, string Provider, string CorrelationId, string Status, string Reason, DateTimeOffset ReceivedAt);

    static async Task<Results<Accepted<CallbackAccepted>, ProblemHttpResult>> ReceiveCallback(
        string provider, HttpContext http, [FromServices] ProviderRegistry providers, [FromServices] HubBusRegistry buses,
        [FromServices] TimeProvider time, [FromServices] ILoggerFactory loggers)
    {
        if (!providers.TryGet(provider, out var settings))
            return Problem(StatusCodes.Status404NotFound, "Unknown provider", $"No provider named '{provider}' is configured.");

        if (http.Request.ContentLength > MaxCallbackBytes)
            return Problem(StatusCodes.Status413PayloadTooLarge, "Callback too large", $"A callback body may have at most {MaxCallbackBytes} bytes.");
        var body = await ReadBody(http.Request);
        if (body is null)
            return Problem(StatusCodes.Status413PayloadTooLarge, "Callback too large", $"A callback body may have at most {MaxCallbackBytes} bytes.");

        var now = time.GetUtcNow();
        var signature = HubSignature.Verify(http.Request.Headers[HubSignature.HeaderName], settings.CallbackSecret, body, now);
        if (signature != HubSignature.Result.Valid)
            return Problem(StatusCodes.Status401Unauthorized, "Invalid signature", signature switch
            {
                HubSignature.Result.Missing => $"The {HubSignature.HeaderName} header is missing.",
                HubSignature.Result.Expired => $"The {HubSignature.HeaderName} timestamp is more than {HubSignature.DefaultTolerance.TotalMinutes:0} minutes away from the hub's clock.",
                _ => $"The {HubSignature.HeaderName} header does not match the body and the provider's secret.",
            });

        if (Parse(body) is not { } callback)
            return Problem(StatusCodes.Status400BadRequest, "Malformed callback",
                "The body must be JSON: { \"correlationId\": string, \"status\": \"completed\"|\"failed\", \"result\"?: any, \"error\"?: string }.");

        var callbackId = DeliveryId(http.Request, settings.Name) ?? "sha256:" + Convert.ToHexStringLower(SHA256.HashData(body));
        var command = new RecordProviderCallback(callbackId, settings.Name, callback.CorrelationId, callback.Status, callback.Result, callback.Error, now);
        try
        {
            var endpoint = Endpoint(http.RequestServices);
            await using var transaction = buses.Transactions(endpoint.Name).Begin();
            await buses.Get(endpoint.Name).SendLocal(command, new Dictionary<string, string> { [Headers.CorrelationId] = callback.CorrelationId });
            await transaction.Complete();
        }
        catch (Exception exception)
        {
            loggers.CreateLogger(typeof(ProvidersApi)).LogError(exception,
                "Callback {CallbackId} from {Provider} for {CorrelationId} could not be queued", callbackId, settings.Name, callback.CorrelationId);
            http.Response.Headers.RetryAfter = "30";
            return Problem(StatusCodes.Status503ServiceUnavailable, "Try again later", "The hub could not record the callback; send it again.");
        }

        return TypedResults.Accepted((string?)null, new CallbackAccepted(callbackId));
    }

    static async Task<Ok<UnmatchedCallbackView[]>> ListUnmatched(
        [FromKeyedServices(ProvidersEndpoint.DefaultName)] IProviderExchangeStore store, string? provider, int? limit, CancellationToken cancellationToken)
    {
        var found = await store.ListUnmatched(provider, Math.Clamp(limit ?? 100, 1, 1000), cancellationToken);
        return TypedResults.Ok(found.Select(c => new UnmatchedCallbackView(c.CallbackId, c.Provider, c.CorrelationId, c.Status, c.Reason, c.ReceivedAt)).ToArray());
    }

    sealed record ParsedCallback(string CorrelationId, string Status, string? Result, string? Error);

    static ParsedCallback? Parse(byte[] body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
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
        catch (JsonException)
        {
            return null;
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

    /// <summary>The body, or null when it is larger than <see cref="MaxCallbackBytes"/>.</summary>
    static async Task<byte[]?> ReadBody(HttpRequest request)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            if (buffer.Length + read > MaxCallbackBytes) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    static ProvidersEndpoint Endpoint(IServiceProvider services) =>
        services.GetServices<HubEndpoint>().OfType<ProvidersEndpoint>().SingleOrDefault()
        ?? throw new InvalidOperationException("The provider APIs need the Providers endpoint in this process: builder.AddHubEndpoint(new ProvidersEndpoint()).");

    static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title);
}
