using System.Text.Json.Nodes;
using IntegrationHub.Adapters.Notifications;
using IntegrationHub.Contracts.Notifications.Events;
using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Departments;
using IntegrationHub.Notifications.Store;
using Rebus.Bus;
using Rebus.Handlers;
using Rebus.Messages;
using Rebus.Pipeline;
using Rebus.Sagas;

namespace IntegrationHub.Notifications.Sending;

/// <summary>
/// One message to one recipient (docs/notifications.md): the receipt timeout requested first; the department's
/// providers of the channel tried in order — a provider whose circuit is open is skipped, one that surely did not take
/// the message hands it to the next; one whose outcome is unknown (it may have taken it) ends the message
/// <c>unknown</c>, never sent again — unless the message is critical and the department prefers a possible duplicate to
/// a possible loss. Receipts (verified callbacks) move it forward only, never out of a final state; a provider without
/// receipts ends it <c>sent</c>. The last message of its request to end publishes <see cref="NotificationBatchCompleted"/>.
/// </summary>
public sealed class NotificationSaga(IBus bus, INotificationStore store, NotificationsOptions options, NotificationProviders providers,
    EndpointRuntime<NotificationsEndpoint> notifications, IMessageContext context, TimeProvider time, ILogger<NotificationSaga> logger) : Saga<NotificationData>,
    IAmInitiatedBy<SendNotification>,
    IHandleMessages<NotificationProviderAnswered>,
    IHandleMessages<NotificationReceiptReceived>,
    IHandleMessages<NotificationReceiptTimedOut>
{
    protected override void CorrelateMessages(ICorrelationConfig<NotificationData> config)
    {
        config.Correlate<SendNotification>(m => m.MessageId, d => d.MessageId);
        config.Correlate<NotificationProviderAnswered>(m => m.MessageId, d => d.MessageId);
        config.Correlate<NotificationReceiptReceived>(m => m.MessageId, d => d.MessageId);
        config.Correlate<NotificationReceiptTimedOut>(m => m.MessageId, d => d.MessageId);
    }

    public async Task Handle(SendNotification message)
    {
        if (!IsNew) return;
        var department = options.Of(message.Department);
        Data.MessageId = message.MessageId;
        Data.BatchId = message.BatchId;
        Data.Department = DepartmentRegistry.Normalize(message.Department);
        Data.Channel = message.Channel;
        Data.To = message.To;
        Data.Body = message.Body;
        Data.Subject = message.Subject;
        Data.RegistrationId = message.RegistrationId;
        Data.RetryUnknown = message.Critical && department?.AllowPossibleDuplicates == true;
        Data.Chain = [.. (message.Channel == nameof(Channel.Sms) ? department?.SmsProviders : department?.EmailProviders) ?? []];
        Data.State = MessageStates.Queued;
        await bus.DeferLocal(options.ReceiptTimeout, new NotificationReceiptTimedOut(message.MessageId));
        await TryNext("no provider configured");
    }

    public async Task Handle(NotificationProviderAnswered message)
    {
        if (message.Attempt != Data.Attempt || Data.Ended) return; // an answer to an earlier attempt, or after the end
        switch (message.Outcome)
        {
            case "accepted":
                Data.Account = message.Account;
                Data.ProviderMessageId = message.ProviderMessageId;
                await store.UpdateMessage(Data.Department, Data.MessageId, MessageStates.Sending, message.Account, message.ProviderMessageId, message.Code, time.GetUtcNow());
                if (!message.SendsReceipts)
                {
                    await End(MessageStates.Sent, $"{message.Account}: taken (no receipts from this provider)");
                    return;
                }
                Data.State = MessageStates.Sending;
                break;
            case "unavailable":
                Data.Attempt++;
                await TryNext($"{message.Account}: {message.Code}");
                break;
            case "unknown" when Data.RetryUnknown:
                logger.LogWarning("Notification {MessageId}: {Account}'s outcome is unknown; critical, and department {Department} allows a possible duplicate: next provider",
                    Data.MessageId, message.Account, Data.Department);
                Data.Attempt++;
                await TryNext($"{message.Account}: outcome unknown");
                break;
            case "unknown":
                await End(MessageStates.Unknown, $"{message.Account}: the provider may or may not have taken it ({message.Code}); not sent again");
                break;
            default:
                await End(MessageStates.Failed, $"{message.Account}: {message.Code}");
                break;
        }
    }

    public async Task Handle(NotificationReceiptReceived message)
    {
        if (Data.Ended || Data.SeenEvents.Contains(message.EventId)) return;
        if (message.Account != Data.Account || message.ProviderMessageId != Data.ProviderMessageId)
        {
            logger.LogWarning("A receipt of {Account} for {ProviderMessageId} names notification {MessageId}, sent as {Sent} through {Own}; ignored", message.Account,
                message.ProviderMessageId, Data.MessageId, Data.ProviderMessageId, Data.Account);
            return;
        }
        Data.SeenEvents.Add(message.EventId);
        var next = Enum.Parse<DeliveryState>(message.State);
        var current = Data.State == MessageStates.Sent ? DeliveryState.Sent : DeliveryState.Queued;
        if (!DeliveryStates.Advances(current, next)) return;
        if (DeliveryStates.IsFinal(next))
        {
            await End(MessageStates.Of(next), $"{Data.Account}: {message.Code}");
            return;
        }
        Data.State = MessageStates.Of(next);
        await store.UpdateMessage(Data.Department, Data.MessageId, Data.State, null, null, message.Code, time.GetUtcNow());
    }

    public Task Handle(NotificationReceiptTimedOut message) =>
        Data.Ended ? Task.CompletedTask : End(MessageStates.Expired, $"no final receipt within {options.ReceiptTimeout}");

    async Task TryNext(string why)
    {
        while (Data.Attempt < Data.Chain.Count && providers.IsOpen(Data.Chain[Data.Attempt]))
            Data.Attempt++;
        if (Data.Attempt >= Data.Chain.Count)
        {
            await End(MessageStates.Failed, $"no provider took it ({why})");
            return;
        }
        await bus.SendLocal(new CallNotificationProvider(Data.MessageId, Data.Chain[Data.Attempt], Data.Attempt, Data.Channel, Data.To, Data.Body, Data.Subject,
            Data.RegistrationId));
    }

    async Task End(string state, string detail)
    {
        Data.Ended = true;
        var now = time.GetUtcNow();
        var last = await store.FinishMessage(Data.Department, Data.BatchId, Data.MessageId, state, detail, now);
        if (last)
        {
            var final = new Dictionary<string, int>(await store.CountsNow(Data.Department, Data.BatchId));
            await bus.Publish(new NotificationBatchCompleted(Data.BatchId, Data.Department, Data.Channel, final, now));
            await notifications.Status.Apply(NotificationStatuses.Kind, new StatusUpdate(Data.BatchId, Data.Department, context.Headers[Headers.MessageId],
                NotificationStatuses.Completed, "completed", "every recipient's message ended", now,
                Result: new JsonObject { ["counts"] = new JsonObject([.. final.Select(c => KeyValuePair.Create(c.Key, (JsonNode?)c.Value))]) }.ToJsonString()));
        }
        Data.Body = ""; // nothing of the message is kept past its end
        MarkAsComplete();
    }
}

public sealed class NotificationData : SagaData
{
    public string MessageId { get; set; } = "";
    public string BatchId { get; set; } = "";
    public string Department { get; set; } = "";
    public string Channel { get; set; } = "";
    public string To { get; set; } = "";
    public string Body { get; set; } = "";
    public string? Subject { get; set; }
    public string? RegistrationId { get; set; }
    public bool RetryUnknown { get; set; }
    public List<string> Chain { get; set; } = [];
    public int Attempt { get; set; }
    public string? Account { get; set; }
    public string? ProviderMessageId { get; set; }
    public string State { get; set; } = "";
    public bool Ended { get; set; }
    public List<string> SeenEvents { get; set; } = [];
}

/// <summary>A department's request as a status resource (<c>GET /api/v1/notifications/{id}</c>).</summary>
public static class NotificationStatuses
{
    public const string Route = "/api/v1/notifications";
    public const string Accepted = "accepted";
    public const string Completed = "completed";

    public static StatusKind Kind { get; } = new("notification-batch", [Accepted], [Completed], Route, IdAlias: "batchId");
}
