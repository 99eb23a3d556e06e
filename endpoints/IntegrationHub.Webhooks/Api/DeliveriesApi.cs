using IntegrationHub.Contracts.Webhooks.Commands;
using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Bus;
using IntegrationHub.Hosting.Security;
using IntegrationHub.Webhooks.Delivery;
using IntegrationHub.Webhooks.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace IntegrationHub.Webhooks.Api;

/// <summary>
/// The operators' view of partner webhook deliveries, under <c>/api/v1/webhooks/deliveries</c>: list, show with
/// attempts, replay (docs/webhooks.md). Payloads are never shown: they may carry citizens' data.
/// </summary>
public static class DeliveriesApi
{
    public const string Prefix = "/api/v1/webhooks/deliveries";
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    public static string DeliveryUrl(string id) => $"{Prefix}/{Uri.EscapeDataString(id)}";

    /// <summary>The routes, for operators (scope <c>ops</c>).</summary>
    public static RouteGroupBuilder MapWebhookDeliveriesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Prefix)
            .WithTags("Webhook deliveries (operators)")
            .RequireAuthorization(HubScopes.Ops)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);

        group.MapGet("", List)
            .WithName("ListWebhookDeliveries")
            .WithSummary("List webhook deliveries, newest first")
            .WithDescription(
                "Needs scope `ops`; covers every department. Filters: `status` (pending, delivered, dead, no-callback-registered), " +
                $"`department`. At most `limit` deliveries (default {DefaultLimit}, at most {MaxLimit}); when there are more, " +
                "`next` is set: pass it as `after` to get the following page. Payloads are not shown.")
            .ProducesProblem(StatusCodes.Status400BadRequest);

        group.MapGet("{id}", Show)
            .WithName("GetWebhookDelivery")
            .WithSummary("A webhook delivery and its attempts (status codes, errors, times)")
            .WithDescription("Needs scope `ops`. The payload and the department's secret are never shown.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("{id}/replay", Replay)
            .WithName("ReplayWebhookDelivery")
            .WithSummary("Replay a dead delivery: a new round of attempts with the same delivery id")
            .WithDescription(
                "Needs scope `ops`. Answers 202 at once; the Webhooks endpoint makes the attempts (follow them on the delivery). " +
                "Dead and no-callback-registered deliveries can be replayed; a delivered one only with `force=true`; " +
                "a pending one not (409), nor one whose department still has no callback URL (409).")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        return group;
    }

    /// <summary>What operators see of a delivery (never its payload).</summary>
    public sealed record DeliveryView(string Id, string Department, string Subject, string EventType, string Status, string? Url,
        int Attempts, int Round, DateTimeOffset CreatedAt, DateTimeOffset? LastAttemptAt, int? LastStatusCode, string? LastError,
        DateTimeOffset? NextAttemptAt, DateTimeOffset? DeliveredAt);

    /// <summary>A page of deliveries; <c>next</c> (null on the last page) is the <c>after</c> of the following one.</summary>
    public sealed record DeliveryPage(DeliveryView[] Deliveries, string? Next);

    public sealed record AttemptView(int Attempt, int Round, DateTimeOffset AttemptedAt, int? StatusCode, string? Error, int DurationMs);

    public sealed record DeliveryDetails(DeliveryView Delivery, AttemptView[] Attempts);

    public sealed record ReplayAccepted(string DeliveryId, string Status, string DeliveryUrl);

    static async Task<Results<Ok<DeliveryPage>, ProblemHttpResult>> List([FromServices] IWebhookDeliveryReader deliveries,
        string? status, string? department, int? limit, string? after, CancellationToken cancellationToken)
    {
        if (status is not null && !WebhookStatus.All.Contains(status, StringComparer.Ordinal))
            return Problem(StatusCodes.Status400BadRequest, "Unknown status", $"status must be one of {string.Join(", ", WebhookStatus.All)}.");
        DeliveryCursor? cursor = null;
        if (after is not null && !DeliveryCursor.TryDecode(after, out cursor))
            return Problem(StatusCodes.Status400BadRequest, "Invalid cursor", "after must be the `next` value of a previous page, as it was given.");

        var size = Math.Clamp(limit ?? DefaultLimit, 1, MaxLimit);
        var found = await deliveries.List(status, string.IsNullOrWhiteSpace(department) ? null : department, size + 1, cursor, cancellationToken);
        var page = found.Take(size).ToList();
        var next = found.Count > size ? DeliveryCursor.After(page[^1]).Encode() : null;
        return TypedResults.Ok(new DeliveryPage(page.Select(View).ToArray(), next));
    }

    static async Task<Results<Ok<DeliveryDetails>, ProblemHttpResult>> Show(string id, [FromServices] IWebhookDeliveryReader deliveries,
        CancellationToken cancellationToken)
    {
        if (await deliveries.Get(id, cancellationToken) is not { } delivery)
            return UnknownDelivery();
        var attempts = await deliveries.Attempts(id, cancellationToken);
        return TypedResults.Ok(new DeliveryDetails(View(delivery), attempts
            .Select(a => new AttemptView(a.Attempt, a.Round, a.AttemptedAt, a.StatusCode, a.Error, (int)a.Duration.TotalMilliseconds))
            .ToArray()));
    }

    static async Task<Results<Accepted<ReplayAccepted>, ProblemHttpResult>> Replay(string id, bool? force, HttpContext http,
        [FromServices] IWebhookDeliveryReader deliveries, [FromServices] WebhookOptions options, [FromServices] EndpointRuntime<WebhooksEndpoint> webhooks,
        [FromServices] ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (await deliveries.Get(id, cancellationToken) is not { } delivery)
            return UnknownDelivery();
        // The handler checks again when it runs, under the delivery's lock: this answer is the operator's quick feedback.
        if (WebhookReplayRules.WhyNot(delivery, force ?? false, options) is { } refusal)
            return Problem(StatusCodes.Status409Conflict, "Delivery cannot be replayed", $"This delivery cannot be replayed: {refusal}.");

        var unavailable = await webhooks.Commit(http, bus => bus.SendLocal(new ReplayWebhookDelivery(delivery.Id, force ?? false),
            new Dictionary<string, string> { [HubHeaders.Tenant] = delivery.Department, [Rebus.Messages.Headers.CorrelationId] = delivery.Subject }),
            "the replay");
        if (unavailable is not null)
            return unavailable;

        var logger = loggers.CreateLogger(typeof(DeliveriesApi));
        logger.LogInformation("Replay of webhook {DeliveryId} for department {Department} requested through the ops API", delivery.Id, delivery.Department);
        var url = DeliveryUrl(delivery.Id);
        return TypedResults.Accepted(url, new ReplayAccepted(delivery.Id, "replay-requested", url));
    }

    static DeliveryView View(WebhookDelivery d) => new(d.Id, d.Department, d.Subject, d.EventType, d.Status, d.Url?.ToString(),
        d.Attempts, d.Round, d.CreatedAt, d.LastAttemptAt, d.LastStatusCode, d.LastError, d.NextAttemptAt, d.DeliveredAt);

    static ProblemHttpResult UnknownDelivery() =>
        Problem(StatusCodes.Status404NotFound, "Unknown delivery", "No webhook delivery has this id (it may have been pruned after its retention).");

    static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title);
}
