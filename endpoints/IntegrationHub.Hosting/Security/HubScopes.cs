namespace IntegrationHub.Hosting.Security;

/// <summary>
/// What a token may do: its <c>scope</c> claim (space-separated) lists these, and each is also the name of the
/// authorization policy that requires it (<c>.RequireAuthorization(HubScopes.RequestsWrite)</c>).
/// </summary>
public static class HubScopes
{
    public const string RequestsWrite = "requests:write";
    public const string RequestsRead = "requests:read";
    public const string Ops = "ops";

    public static IReadOnlyList<string> All { get; } = [RequestsWrite, RequestsRead, Ops];
}

/// <summary>Claims the hub reads from a token.</summary>
public static class HubClaims
{
    /// <summary>The department (tenant) the caller acts for: an id under <c>Hub:Departments</c>.</summary>
    public const string Department = "department";

    public const string Scope = "scope";
}
