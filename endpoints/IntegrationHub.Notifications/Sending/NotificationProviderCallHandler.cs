using IntegrationHub.Adapters;
using IntegrationHub.Adapters.Notifications;
using IntegrationHub.Hosting.Outbound;
using Rebus.Bus;
using Rebus.Handlers;

namespace IntegrationHub.Notifications.Sending;

/// <summary>
/// Sends one message through one provider account as an external call (the attempt recorded with its key before the
/// call, no transaction held). A repeat of an attempt that may have reached the provider — the process died after the
/// call — is not sent again: its outcome is <c>unknown</c>, as with a send that timed out.
/// </summary>
internal sealed class NotificationProviderCallHandler(IBus bus, NotificationProviders providers, OutboundCalls calls, ILogger<NotificationProviderCallHandler> logger)
    : IHandleMessages<CallNotificationProvider>
{
    public async Task Handle(CallNotificationProvider message)
    {
        var provider = providers.Of(message.Account);
        NotificationProviderAnswered answer;
        try
        {
            var accepted = await calls.Make(new OutboundCall($"notify:{message.Account}", $"{message.MessageId}:{message.Attempt}"),
                ct => provider.Send(new OutboundMessage(Enum.Parse<Channel>(message.Channel), message.To, message.Body, message.Subject, message.MessageId,
                    message.RegistrationId), ct),
                status: _ => Task.FromResult<ProviderAccepted?>(new ProviderAccepted("", DeliveryState.Queued)), // "made before": unknown, see below
                describe: a => a.ProviderMessageId.Length == 0 ? "unknown (repeated attempt)" : $"accepted {a.State}");
            answer = accepted.ProviderMessageId.Length == 0
                ? new NotificationProviderAnswered(message.MessageId, message.Account, message.Attempt, "unknown", null, null, "attempt repeated after a restart", provider.SendsReceipts)
                : new NotificationProviderAnswered(message.MessageId, message.Account, message.Attempt, "accepted", accepted.ProviderMessageId, accepted.State.ToString(),
                    accepted.State.ToString().ToLowerInvariant(), provider.SendsReceipts);
            providers.Succeeded(message.Account);
        }
        catch (ExternalSystemException e)
        {
            var outcome = e.Kind switch
            {
                ExternalFailure.TimedOut => "unknown",
                ExternalFailure.Invalid => "invalid",
                _ => "unavailable", // unreachable, refused, credentials: surely not taken
            };
            if (outcome == "unavailable") providers.Failed(message.Account);
            logger.LogWarning("Notification {MessageId} through {Account} (attempt {Attempt}): {Outcome} ({Reason})", message.MessageId, message.Account,
                message.Attempt, outcome, e.Message);
            answer = new NotificationProviderAnswered(message.MessageId, message.Account, message.Attempt, outcome, null, null, e.Kind.ToString(), provider.SendsReceipts);
        }
        await bus.Reply(answer);
    }
}
