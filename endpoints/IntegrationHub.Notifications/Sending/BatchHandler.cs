using IntegrationHub.Adapters.Notifications;
using IntegrationHub.Notifications.Store;
using Rebus.Bus;
using Rebus.Handlers;

namespace IntegrationHub.Notifications.Sending;

/// <summary>
/// Records an accepted request's batch and messages, and starts each message's saga, in one transaction: a request is
/// either wholly under way or not at all. Repeated (a redelivery), it records nothing twice and its messages' sagas ignore
/// a second start.
/// </summary>
internal sealed class BatchHandler(IBus bus, INotificationStore store) : IHandleMessages<AcceptNotificationBatch>
{
    public async Task Handle(AcceptNotificationBatch message)
    {
        var channel = Enum.Parse<Channel>(message.Channel);
        await store.AddBatch(new BatchRow(message.Department, message.BatchId, channel, message.Messages.Count, 0, message.At),
            [.. message.Messages.Select(m => new MessageRow(message.Department, message.BatchId, m.Id, channel, m.To, MessageStates.Queued, null, null, null, message.At))]);
        foreach (var m in message.Messages)
            await bus.SendLocal(new SendNotification(m.Id, message.BatchId, message.Department, message.Channel, m.To, m.Body, m.Subject, message.Critical,
                message.RegistrationId));
    }
}
