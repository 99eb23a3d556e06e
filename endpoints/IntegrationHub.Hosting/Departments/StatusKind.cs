namespace IntegrationHub.Hosting.Departments;

/// <summary>
/// One kind of long-running thing a department asks an endpoint for (a request, a payment, a notification batch, a
/// file), followed by a status resource: its statuses in the order they are reached (<paramref name="Steps"/>, the
/// first is the status when accepted), the final ones (<paramref name="Final"/>: reached once, never left), and where
/// departments read it (<paramref name="Route"/> + <c>/{id}</c>). <paramref name="IdAlias"/>, when set, repeats the id
/// under the kind's own name in the JSON (<c>requestId</c>).
/// </summary>
public sealed record StatusKind(string Name, IReadOnlyList<string> Steps, IReadOnlyList<string> Final, string Route, string? IdAlias = null)
{
    public string Initial => Steps[0];

    /// <summary>Where a status stands: steps by their order, every final status above them all.</summary>
    public int Rank(string status)
    {
        if (Final.Contains(status, StringComparer.Ordinal)) return Steps.Count;
        var index = Steps.IndexOf(status);
        return index >= 0 ? index : throw new ArgumentOutOfRangeException(nameof(status), status, $"not a status of {Name}");
    }

    public bool IsFinal(string status) => Final.Contains(status, StringComparer.Ordinal);

    public string StatusUrl(string id) => $"{Route}/{Uri.EscapeDataString(id)}";
}

static class ListExtensions
{
    public static int IndexOf(this IReadOnlyList<string> list, string value)
    {
        for (var i = 0; i < list.Count; i++)
            if (string.Equals(list[i], value, StringComparison.Ordinal)) return i;
        return -1;
    }
}

/// <summary>
/// A new status resource, as the department's POST creates it. <paramref name="BodyHash"/> says which bodies are the
/// same request (the endpoint's choice: e.g. a hash of the fields, whitespace aside): a replay of its idempotency key
/// with another hash is refused.
/// </summary>
public sealed record NewStatusResource(
    string Id,
    string Department,
    DateTimeOffset AcceptedAt,
    IReadOnlyDictionary<string, string> Attributes,
    string Route,
    string? IdempotencyKey,
    string BodyHash);

public sealed record TimelineEntry(DateTimeOffset At, string Step, string? Detail);

/// <summary>A status resource as stored: the accepted step is its first timeline entry.</summary>
public sealed record StatusResource(
    string Id,
    string Kind,
    string Department,
    string Status,
    DateTimeOffset AcceptedAt,
    DateTimeOffset UpdatedAt,
    IReadOnlyDictionary<string, string> Attributes,
    string? Result,
    string? Error,
    IReadOnlyList<TimelineEntry> Timeline);

/// <summary>
/// One step reported by an endpoint's event; <paramref name="EntryId"/> (the event's message id) makes it idempotent.
/// <paramref name="Result"/> (JSON) and <paramref name="Error"/> are kept when the status moves forward.
/// </summary>
public sealed record StatusUpdate(
    string Id,
    string Department,
    string EntryId,
    string Status,
    string Step,
    string? Detail,
    DateTimeOffset At,
    string? Result = null,
    string? Error = null);

public sealed record IdempotencyRecord(string ResourceId, string BodyHash);
