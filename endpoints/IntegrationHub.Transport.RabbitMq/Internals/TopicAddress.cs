namespace IntegrationHub.Transport.RabbitMq.Internals;

/// <summary>
/// Pseudo destination address that means "publish to the events exchange with this routing key".
/// Format: <c>topic://&lt;exchange&gt;/&lt;topic&gt;</c>, e.g. <c>topic://hub.events/Sample.OrderPlaced, Sample</c>.
/// </summary>
internal static class TopicAddress
{
    const string Prefix = "topic://";

    public static string Format(string exchange, string topic) => $"{Prefix}{exchange}/{topic}";

    public static bool TryParse(string address, out string exchange, out string topic)
    {
        exchange = topic = "";
        if (!address.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        var rest = address.AsSpan(Prefix.Length);
        var slash = rest.IndexOf('/');
        if (slash <= 0) return false;
        exchange = rest[..slash].ToString();
        topic = rest[(slash + 1)..].ToString();
        return true;
    }
}
