using System.Reflection;
using IntegrationHub.Contracts;

namespace IntegrationHub.Webhooks.Delivery;

/// <summary>
/// Every event departments hear of by webhook: the <see cref="IDepartmentEvent"/> records of the contracts, each with
/// the webhook type its owning endpoint declared (<see cref="WebhookTypeAttribute"/>). The Webhooks endpoint subscribes
/// to all of them and knows none by name.
/// </summary>
public static class WebhookCatalog
{
    static readonly Lazy<IReadOnlyDictionary<Type, string>> Types = new(() => typeof(IDepartmentEvent).Assembly.GetTypes()
        .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IDepartmentEvent).IsAssignableFrom(t))
        .ToDictionary(t => t, t => t.GetCustomAttribute<WebhookTypeAttribute>()?.Type
            ?? throw new InvalidOperationException($"{t.FullName} is an IDepartmentEvent without [WebhookType(\"thing.happened\")]")));

    /// <summary>The event types, to subscribe to.</summary>
    public static IEnumerable<Type> EventTypes => Types.Value.Keys;

    /// <summary>The webhook types (<c>request.completed</c>, …), as docs/webhooks.md lists them.</summary>
    public static IEnumerable<string> WebhookTypes => Types.Value.Values.Order(StringComparer.Ordinal);

    public static string TypeOf(IDepartmentEvent @event) => Types.Value.TryGetValue(@event.GetType(), out var type)
        ? type
        : throw new InvalidOperationException($"{@event.GetType().FullName} is not a department event of the contracts assembly.");
}
