namespace IntegrationHub.Gateway.Store;

/// <summary>
/// The statuses a department sees, in the order a request moves through them. A status never moves back: a late
/// "progressed" after "completed" leaves it completed, and the first terminal status is final.
/// </summary>
public static class RequestStatus
{
    public const string Accepted = "accepted";
    public const string InProgress = "in-progress";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string TimedOut = "timed-out";

    public static int Rank(string status) => status switch
    {
        Accepted => 0,
        InProgress => 1,
        _ => 2,
    };

    public static bool IsTerminal(string status) => Rank(status) == 2;
}
