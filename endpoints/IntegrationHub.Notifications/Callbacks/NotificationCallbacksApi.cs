using System.Security.Cryptography;
using System.Text;
using IntegrationHub.Adapters.Notifications;
using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Http;
using IntegrationHub.Notifications.Sending;
using Rebus.Messages;

namespace IntegrationHub.Notifications.Callbacks;

/// <summary>
/// Providers' receipts, one route per provider account: <c>POST /api/v1/notifications/callbacks/{provider}/{account}</c>,
/// verified by the provider's own scheme (Twilio's signature over the URL and form, SendGrid's ECDSA signature) before
/// anything is read; each receipt becomes a message for its notification's saga (by the hub's reference it carries).
/// </summary>
public static class NotificationCallbacksApi
{
    public const int MaxCallbackBytes = 1024 * 1024;

    public static void MapNotificationCallbacks(this IEndpointRouteBuilder app) =>
        app.MapPost("/api/v1/notifications/callbacks/{provider}/{account}", Receive).WithTags("Notifications").AllowAnonymous().DisableAntiforgery()
            .WithName("ReceiveNotificationReceipts").WithSummary("A provider's delivery receipts, verified by the provider's scheme")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status404NotFound);

    static async Task<IResult> Receive(string provider, string account, HttpContext http, NotificationProviders providers, NotificationsOptions options,
        EndpointRuntime<NotificationsEndpoint> notifications, TimeProvider clock, ILoggerFactory logs)
    {
        var logger = logs.CreateLogger(typeof(NotificationCallbacksApi));
        if (providers.Find(provider, account) is not { SendsReceipts: true } found)
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such provider account", detail: "This hub has no provider account of that name that sends receipts.");
        var body = await RequestBodies.ReadLimited(http.Request, MaxCallbackBytes);
        if (body is null) return RequestBodies.TooLarge(MaxCallbackBytes, "receipts");
        var headers = http.Request.Headers.Where(h => h.Key.Length <= 64).ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        // The URL the provider called, as it was configured (behind a proxy the public base URL is what it signed).
        var url = new Uri(NotificationsOptions.CallbackUrl(options.PublicBaseUrl, provider, account) + http.Request.QueryString.ToString());
        var verification = found.Verify(new ProviderCallback(body, http.Request.ContentType, headers, url, clock.GetUtcNow()));
        if (verification is ReceiptVerification.Refused refused)
        {
            logger.LogWarning("Receipts from {Provider} account {Account} refused ({Status}): {Reason}", provider, account, refused.Status, refused.Reason);
            return Results.Problem(statusCode: refused.Status, title: refused.Status == 401 ? "The receipts' signature is not valid" : "The receipts cannot be read",
                detail: refused.Reason);
        }
        var receipts = ((ReceiptVerification.Verified)verification).Receipts.Where(r => r.Reference is { Length: > 0 }).ToList();
        if (receipts.Count == 0) return Results.Ok();
        var unavailable = await notifications.Commit(http, async bus =>
        {
            foreach (var receipt in receipts)
                await bus.SendLocal(new NotificationReceiptReceived(receipt.Reference!, account, receipt.ProviderMessageId, receipt.State.ToString(), receipt.Code,
                    receipt.EventId), new Dictionary<string, string> { [Headers.MessageId] = MessageId(account, receipt.EventId) });
        }, "the receipts");
        return unavailable ?? Results.Ok();
    }

    static string MessageId(string account, string eventId) =>
        new Guid(SHA256.HashData(Encoding.UTF8.GetBytes($"notifications\n{account}\n{eventId}")).AsSpan(0, 16)).ToString();
}
