namespace IntegrationHub.Hosting.Security;

/// <summary>
/// A token scope: what a token's <c>scope</c> claim (space-separated) may grant, and the name of the authorization
/// policy that requires it (<c>.RequireAuthorization(scope.Name)</c>). Endpoints declare theirs
/// (<see cref="HubEndpoint.Scopes"/>), named <c>{endpoint}:{verb}</c> (<c>payments:write</c>).
/// </summary>
public sealed record HubScope(string Name, string Description)
{
    public override string ToString() => Name;
}

/// <summary>The scopes Hosting itself defines, and those of the endpoints of a process.</summary>
public static class HubScopes
{
    public const string Ops = "ops";

    /// <summary>Operators' routes of every endpoint (error queues, deliveries, unmatched callbacks): every department's data.</summary>
    public static HubScope Operators { get; } = new(Ops, "Operators: the hub's lists and replays, across every department.");
}

/// <summary>The scopes the endpoints of this process declared, one policy each.</summary>
public sealed class HubScopeRegistry(IEnumerable<HubScope> scopes)
{
    public IReadOnlyList<HubScope> All { get; } = scopes.DistinctBy(s => s.Name).OrderBy(s => s.Name, StringComparer.Ordinal).ToList();
}

/// <summary>Claims the hub reads from a token.</summary>
public static class HubClaims
{
    /// <summary>The department (tenant) the caller acts for: an id under <c>Hub:Departments</c>.</summary>
    public const string Department = "department";

    public const string Scope = "scope";
}
