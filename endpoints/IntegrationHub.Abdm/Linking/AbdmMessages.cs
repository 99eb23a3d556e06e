using IntegrationHub.Adapters.Abdm.Gateway;
using IntegrationHub.Adapters.Abdm.Registry;

namespace IntegrationHub.Abdm.Linking;

// What the gateway's verified calls become (Callbacks/AbdmCallbacksApi): messages the Abdm endpoint sends itself.
// Each carries the gateway's id of the call, RequestId; the message id is derived from it, so a call the gateway repeats
// is one message (the PostgreSQL inbox drops the copy).
public sealed record DiscoverRequested(string HipId, string RequestId, string TransactionId, PatientQuery Patient);
public sealed record LinkInitRequested(string HipId, string RequestId, string TransactionId, string AbhaAddress, string PatientReference,
    IReadOnlyList<string> CareContexts);
public sealed record LinkConfirmRequested(string HipId, string RequestId, string LinkRefNumber, string Token);
public sealed record LinkTokenAnswered(string HipId, string RequestId, string AnsweredRequestId, string? ErrorCode, string? ErrorMessage, string? LinkToken);
public sealed record CareContextsLinkAnswered(string HipId, string RequestId, string AnsweredRequestId, string? ErrorCode, string? ErrorMessage);

// Work the flows hand to external-call handlers, and what comes back.
public sealed record FindPatient(string TransactionId, string HipId, PatientQuery Patient);
public sealed record PatientLookedUp(string TransactionId, RegistryPatient? Patient, bool Ambiguous, bool RegistryFailed);

/// <summary>
/// One call to the gateway (<see cref="GatewayCallHandler"/>, which stamps it when sent), its body already in the v3 shape. With <paramref name="ReplyTo"/>
/// the flow hears of a refusal (<see cref="GatewayCallRefused"/>); answers to the gateway's own requests need none.
/// </summary>
public sealed record CallGateway(AbdmOutbound Call, string RequestId, string Body, string? HipId = null,
    string? LinkToken = null, string? ReplyTo = null);
public sealed record GatewayCallRefused(string FlowId, AbdmOutbound Call, int Status, string? Code, string Message);

// Timeouts.
public sealed record DiscoveryTimedOut(string TransactionId);
public sealed record LinkWindowClosed(string TransactionId);
public sealed record HipLinkTimedOut(string LinkId);
public sealed record NoticeAnswered(string HipId, string RequestId, string AnsweredRequestId, string? ErrorCode);
