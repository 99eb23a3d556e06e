using IntegrationHub.Hosting.Departments;

namespace IntegrationHub.Gateway;

/// <summary>
/// The statuses a department sees of a request, in the order it moves through them. A status never moves back: a late
/// "progressed" after "completed" leaves it completed, and the first final status is kept.
/// </summary>
public static class RequestStatus
{
    public const string Accepted = "accepted";
    public const string InProgress = "in-progress";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string TimedOut = "timed-out";

    /// <summary>Requests as status resources, at <c>/api/v1/requests/{id}</c> (the id also as <c>requestId</c>).</summary>
    public static StatusKind Kind { get; } = new("request", [Accepted, InProgress], [Completed, Failed, TimedOut], Api.RequestsApi.Prefix, IdAlias: "requestId");
}
