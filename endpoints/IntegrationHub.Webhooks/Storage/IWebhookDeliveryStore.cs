using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace IntegrationHub.Webhooks.Storage;

/// <summary>Deliveries as the endpoint's handlers change them (in the handled message's transaction in PostgreSQL mode).</summary>
public interface IWebhookDeliveryStore
{
    /// <summary>Adds the delivery unless one with its id exists; false when it did.</summary>
    Task<bool> TryAdd(WebhookDelivery delivery);

    /// <summary>The delivery, held for update until the handled message's transaction ends.</summary>
    Task<WebhookDelivery?> Find(string id);

    Task Save(WebhookDelivery delivery, WebhookAttempt? attempt = null);
}

/// <summary>Deliveries as operators see them (hubctl, the ops API).</summary>
public interface IWebhookDeliveryReader
{
    /// <summary>Newest first (ties by id, descending); with <paramref name="after"/>, those listed after it.</summary>
    Task<IReadOnlyList<WebhookDelivery>> List(string? status = null, string? department = null, int limit = 100,
        DeliveryCursor? after = null, CancellationToken cancellationToken = default);

    Task<WebhookDelivery?> Get(string id, CancellationToken cancellationToken = default);

    /// <summary>In the order they were made.</summary>
    Task<IReadOnlyList<WebhookAttempt>> Attempts(string id, CancellationToken cancellationToken = default);
}

/// <summary>
/// Where a page of <see cref="IWebhookDeliveryReader.List"/> ended: the last delivery listed, by its creation time and id.
/// </summary>
public sealed record DeliveryCursor(DateTimeOffset CreatedAt, string Id)
{
    public static DeliveryCursor After(WebhookDelivery delivery) => new(delivery.CreatedAt, delivery.Id);

    /// <summary>An opaque URL-safe text (callers pass it back as is).</summary>
    public string Encode() => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(
        CreatedAt.UtcTicks.ToString(CultureInfo.InvariantCulture) + ":" + Id));

    public static bool TryDecode(string? text, [NotNullWhen(true)] out DeliveryCursor? cursor)
    {
        cursor = null;
        if (string.IsNullOrEmpty(text) || text.Length > 512) return false;
        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(text));
        }
        catch (FormatException)
        {
            return false;
        }
        if (decoded.Any(char.IsControl))
            return false;
        var colon = decoded.IndexOf(':');
        if (colon <= 0 || colon == decoded.Length - 1
            || !long.TryParse(decoded.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            || ticks > DateTimeOffset.MaxValue.UtcTicks)
            return false;
        cursor = new DeliveryCursor(new DateTimeOffset(ticks, TimeSpan.Zero), decoded[(colon + 1)..]);
        return true;
    }
}
