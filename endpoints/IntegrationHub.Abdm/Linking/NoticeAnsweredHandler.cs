using IntegrationHub.Abdm.Links;
using Rebus.Handlers;

namespace IntegrationHub.Abdm.Linking;

/// <summary>
/// on-notify: the hub sends no new-record notices yet (docs/abdm.md), so every answer to one matches nothing the hub
/// waits for. It is kept for operators, never dropped.
/// </summary>
internal sealed class NoticeAnsweredHandler(IUnmatchedCalls unmatched, TimeProvider time, ILogger<NoticeAnsweredHandler> logger)
    : IHandleMessages<NoticeAnswered>
{
    public Task Handle(NoticeAnswered message)
    {
        logger.LogWarning("ABDM on-notify {RequestId} answers {Answered}, which the hub did not send; kept as unmatched", message.RequestId, message.AnsweredRequestId);
        return unmatched.Keep(new UnmatchedCall(message.HipId, "OnNotifyContext", message.RequestId, message.AnsweredRequestId, message.ErrorCode,
            "the hub sent no notice with this request id", time.GetUtcNow()));
    }
}
