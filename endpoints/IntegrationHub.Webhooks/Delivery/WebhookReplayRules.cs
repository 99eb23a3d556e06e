using System.Globalization;
using IntegrationHub.Webhooks.Storage;

namespace IntegrationHub.Webhooks.Delivery;

/// <summary>
/// When a delivery may be replayed: the same rules for the replay handler, the ops API and <c>hubctl webhooks replay</c>.
/// </summary>
public static class WebhookReplayRules
{
    /// <summary>Null when <paramref name="delivery"/>'s state allows a replay now; otherwise why not, in words for an operator.</summary>
    public static string? WhyNot(WebhookDelivery delivery, bool force) => delivery.Status switch
    {
        WebhookStatus.Pending => "it is still being delivered" + (delivery.NextAttemptAt is { } next
            ? $" (attempt {delivery.Attempts + 1} due {next.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)})"
            : ""),
        WebhookStatus.Delivered when !force => "it was delivered already (force the replay to deliver it again)",
        WebhookStatus.Dead or WebhookStatus.NoCallbackRegistered or WebhookStatus.Delivered => null,
        _ => $"it is {delivery.Status}",
    };

    /// <summary>The same, and the department must have a URL to replay to (where the settings are known: the endpoint itself).</summary>
    public static string? WhyNot(WebhookDelivery delivery, bool force, WebhookOptions options) =>
        WhyNot(delivery, force) ?? (UrlFor(delivery, options) is null ? $"department {delivery.Department} still has no callback URL" : null);

    /// <summary>Where a replay goes: the department's current callback URL, else the one the delivery had.</summary>
    public static Uri? UrlFor(WebhookDelivery delivery, WebhookOptions options) =>
        options.TryGetDepartment(delivery.Department, out var department) && department.CallbackUrl is { } current ? current : delivery.Url;
}
