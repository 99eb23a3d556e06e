namespace IntegrationHub.Contracts.Payments.Commands;

/// <summary>
/// Compare the hub's payments of one gateway account created on <paramref name="Day"/> (UTC) with the gateway's records
/// (the daily job, <c>hubctl payments reconcile</c> or the ops API). <paramref name="RunId"/> names the run, so its
/// report can be read back; <paramref name="RequestedBy"/> is <c>schedule</c> (run once a day across instances),
/// <c>hubctl</c> or <c>api</c>.
/// </summary>
public sealed record ReconcileAccount(string RunId, string Account, DateOnly Day, string RequestedBy);
