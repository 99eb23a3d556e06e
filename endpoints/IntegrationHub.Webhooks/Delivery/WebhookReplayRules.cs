using System.Globalization;
using IntegrationHub.Hosting.Departments;
using IntegrationHub.Webhooks.Storage;

namespace IntegrationHub.Webhooks.Delivery;

/// <summary>When a delivery may be replayed: the same rules for the replay handler and the ops API that asks for it.</summary>
public static class WebhookReplayRules
{
    /// <summary>Null when <paramref name="delivery"/> may be replayed now; otherwise why not, in words for an operator.</summary>
    public static string? WhyNot(WebhookDelivery delivery, bool force, DepartmentRegistry departments) => delivery.Status switch
    {
        WebhookStatus.Pending => "it is still being delivered" + (delivery.NextAttemptAt is { } next
            ? $" (attempt {delivery.Attempts + 1} due {next.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)})"
            : ""),
        WebhookStatus.Delivered when !force => "it was delivered already (force the replay to deliver it again)",
        WebhookStatus.Dead or WebhookStatus.NoCallbackRegistered or WebhookStatus.Delivered => UrlFor(delivery, departments) is null
            ? $"department {delivery.Department} still has no callback URL"
            : null,
        _ => $"it is {delivery.Status}",
    };

    /// <summary>Where a replay goes: the department's current callback URL, else the one the delivery had.</summary>
    public static Uri? UrlFor(WebhookDelivery delivery, DepartmentRegistry departments) =>
        departments.TryGet(delivery.Department, out var department) && department.CallbackUrl is { } current ? current : delivery.Url;
}
