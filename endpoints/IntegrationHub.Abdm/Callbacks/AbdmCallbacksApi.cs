using System.Security.Cryptography;
using System.Text;
using IntegrationHub.Abdm.Linking;
using IntegrationHub.Adapters.Abdm.Callbacks;
using IntegrationHub.Adapters.Abdm.Gateway;
using IntegrationHub.Adapters.Abdm.Wire;
using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Rebus.Messages;

namespace IntegrationHub.Abdm.Callbacks;

/// <summary>
/// The paths the ABDM gateway calls, under <see cref="AbdmOptions.CallbackPrefix"/> (<c>/abdm/api/v3/…</c> and, for pages
/// that drop the <c>/api</c>, <c>/abdm/v3/…</c>; <c>/abdm/v0.5/…</c> in v0.5). Each call is checked in this order before
/// its body is read: the gateway's JWT (<see cref="AbdmCallbackVerifier"/>: RS256 against its JWKS, issuer, audience,
/// expiry) → 401; <c>X-HIP-ID</c> naming a HIP the hub serves → 403; the size (256 KB) → 413; then the body → 400 naming
/// the fields. A good call is handed to the Abdm endpoint's flows and answered 202 at once, with no body, as the gateway
/// expects; the answer itself goes back as the matching <c>on-…</c> call.
/// </summary>
public static class AbdmCallbacksApi
{
    public const int MaxCallBytes = 256 * 1024;
    public const string HipIdHeader = "X-HIP-ID";
    public const string RequestIdHeader = "REQUEST-ID";

    public static void MapAbdmCallbacks(this IEndpointRouteBuilder app, AbdmOptions options)
    {
        var group = app.MapGroup(options.CallbackPrefix).WithTags("ABDM gateway calls")
            .AllowAnonymous(); // authenticated by the gateway's own JWT, checked below, not by a hub token
        foreach (var call in AbdmPaths.InboundCalls(options.ApiVersion))
            foreach (var path in AbdmPaths.Spellings(options.ApiVersion, call))
                group.MapPost(path, (HttpContext http, [FromServices] IServiceProvider services, [FromServices] EndpointRuntime<AbdmEndpoint> abdm) =>
                        Receive(call, http, options, services.GetService<AbdmCallbackVerifier>(), abdm))
                    .WithName($"Abdm{call}{(path.StartsWith("/api", StringComparison.Ordinal) ? "" : "NoApi")}")
                    .WithSummary($"ABDM gateway: {call}")
                    .Produces(StatusCodes.Status202Accepted)
                    .ProducesProblem(StatusCodes.Status400BadRequest)
                    .ProducesProblem(StatusCodes.Status401Unauthorized)
                    .ProducesProblem(StatusCodes.Status403Forbidden)
                    .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
                    .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
    }

    static async Task<Results<Accepted, ProblemHttpResult>> Receive(AbdmInbound call, HttpContext http, AbdmOptions options,
        AbdmCallbackVerifier? verifier, EndpointRuntime<AbdmEndpoint> abdm)
    {
        if (verifier is null)
            return Problem(StatusCodes.Status503ServiceUnavailable, "ABDM is not configured",
                $"This hub has no ABDM gateway ({AbdmOptions.SectionName}:Gateway, {AbdmOptions.SectionName}:Jwt).");
        var verification = await verifier.Verify(http.Request.Headers.Authorization.ToString(), http.RequestAborted);
        if (!verification.Valid)
            return Problem(StatusCodes.Status401Unauthorized, "The gateway's token is not valid", verification.Problem ?? "The token was refused.");
        var hipId = http.Request.Headers[HipIdHeader].ToString();
        if (options.Hip(hipId) is not { } hip)
            return Problem(StatusCodes.Status403Forbidden, "Unknown HIP",
                hipId.Length == 0 ? $"The {HipIdHeader} header is missing." : $"This hub serves no HIP with the {HipIdHeader} given.");

        var body = await RequestBodies.ReadLimited(http.Request, MaxCallBytes);
        if (body is null)
            return RequestBodies.TooLarge(MaxCallBytes, "ABDM call");
        using var json = JsonBodies.Parse(body, out var problem);
        if (json is null)
            return Problem(StatusCodes.Status400BadRequest, "Malformed ABDM call", problem ?? "The body must be JSON.");
        var (parsed, invalid) = AbdmInboundCalls.Read(call, options.ApiVersion, json.RootElement, http.Request.Headers[RequestIdHeader].ToString());
        if (parsed is null)
            return Problem(StatusCodes.Status400BadRequest, "Malformed ABDM call", invalid!);

        object message = parsed switch
        {
            DiscoverCall d => new DiscoverRequested(hip.Id, d.RequestId, d.TransactionId, d.Patient),
            InitLinkCall i => new LinkInitRequested(hip.Id, i.RequestId, i.TransactionId, i.AbhaAddress, i.PatientReference, i.CareContexts),
            ConfirmLinkCall c => new LinkConfirmRequested(hip.Id, c.RequestId, c.LinkRefNumber, c.Token),
            GatewayAnswerCall a when call == AbdmInbound.OnGenerateLinkToken =>
                new LinkTokenAnswered(hip.Id, a.RequestId, a.AnsweredRequestId, a.ErrorCode, a.ErrorMessage, a.LinkToken),
            GatewayAnswerCall a when call == AbdmInbound.OnLinkCareContexts =>
                new CareContextsLinkAnswered(hip.Id, a.RequestId, a.AnsweredRequestId, a.ErrorCode, a.ErrorMessage),
            GatewayAnswerCall a => new NoticeAnswered(hip.Id, a.RequestId, a.AnsweredRequestId, a.ErrorCode),
            _ => throw new InvalidOperationException($"No message for {parsed.GetType().Name}"),
        };
        var headers = new Dictionary<string, string>
        {
            // The same call repeated by the gateway is the same message: the inbox handles it once.
            [Headers.MessageId] = MessageId(hip.Id, call, parsed.RequestId),
            [Headers.CorrelationId] = parsed.RequestId,
        };
        var unavailable = await abdm.Commit(http, bus => bus.SendLocal(message, headers), "the ABDM call");
        return unavailable is not null ? unavailable : TypedResults.Accepted((string?)null);
    }

    /// <summary>A message id from what identifies the call (a UUID shape, as Rebus and operators expect).</summary>
    static string MessageId(string hipId, AbdmInbound call, string requestId)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"abdm\n{hipId}\n{call}\n{requestId}"));
        return new Guid(hash.AsSpan(0, 16)).ToString();
    }

    static ProblemHttpResult Problem(int status, string title, string detail) => TypedResults.Problem(detail: detail, statusCode: status, title: title);
}
