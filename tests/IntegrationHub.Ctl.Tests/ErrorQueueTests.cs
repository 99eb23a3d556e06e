using IntegrationHub.Hosting.Bus;
using System.Text;
using IntegrationHub.Ctl.Rabbit;

namespace IntegrationHub.Ctl.Tests;

public sealed class ErrorQueueTests : IAsyncLifetime
{
    private readonly TestBroker _broker = new();

    public Task InitializeAsync() => _broker.InitializeAsync();

    public Task DisposeAsync() => _broker.DisposeAsync();

    [Fact]
    public async Task Listing_failed_messages_leaves_them_in_the_error_queue()
    {
        var ids = new[]
        {
            await _broker.PublishFailedAsync(_broker.SourceQueue),
            await _broker.PublishFailedAsync(_broker.SourceQueue),
            await _broker.PublishFailedAsync(_broker.SourceQueue),
        };

        await using var queue = await _broker.ConnectErrorQueueAsync();
        var first = await queue.ListAsync(limit: 10);

        Assert.Equal(3, first.Total);
        Assert.Equal(ids, first.Messages.Select(m => m.MessageId));
        var message = first.Messages[0];
        Assert.Equal("OrderPlaced", message.ShortType);
        Assert.Equal(_broker.SourceQueue, message.SourceQueue);
        Assert.Equal(5, message.Attempts);
        Assert.Equal(2, message.DelayedRetries);
        Assert.Equal(new DateTimeOffset(2025, 11, 24, 6, 50, 12, TimeSpan.Zero).AddTicks(3456789), message.FailedAt);
        Assert.Equal("System.InvalidOperationException", message.ExceptionType);
        Assert.Equal("InvalidOperationException", message.ShortExceptionType);
        Assert.Equal("Customer 42 is blocked", message.ExceptionMessage);
        Assert.Contains("OrderHandler.cs:line 17", message.ErrorDetails);
        Assert.Equal("acme", message.Tenant);
        Assert.Equal("""{"orderId":42,"customer":"Zoë"}""", message.BodyText);

        await _broker.WaitForCountAsync(_broker.ErrorQueue, 3);

        // A limited listing shows the head and still reports the total; nothing is consumed.
        var limited = await queue.ListAsync(limit: 2);
        Assert.Equal(3, limited.Total);
        Assert.Equal(ids[..2], limited.Messages.Select(m => m.MessageId));
        await _broker.WaitForCountAsync(_broker.ErrorQueue, 3);
    }

    [Fact]
    public async Task Retry_returns_message_to_its_source_queue_without_error_headers()
    {
        var id = await _broker.PublishFailedAsync(_broker.SourceQueue);
        await using var queue = await _broker.ConnectErrorQueueAsync();
        // List first, so the quorum queue has stamped x-delivery-count on the requeued message.
        Assert.Single((await queue.ListAsync(10)).Messages);
        await _broker.WaitForCountAsync(_broker.ErrorQueue, 1);

        var outcome = await queue.RetryAsync(id);

        Assert.Equal(RetryStatus.Moved, outcome.Status);
        Assert.Equal(_broker.SourceQueue, outcome.SourceQueue);
        await _broker.WaitForCountAsync(_broker.ErrorQueue, 0);

        var moved = await _broker.TakeAsync(_broker.SourceQueue);
        Assert.Equal("""{"orderId":42,"customer":"Zoë"}""", Encoding.UTF8.GetString(moved.Body.Span));
        Assert.Equal(id, moved.BasicProperties.MessageId);
        Assert.Equal("corr-" + id, moved.BasicProperties.CorrelationId);
        Assert.Equal("IntegrationHub.Contracts.Orders.OrderPlaced, IntegrationHub.Contracts", moved.BasicProperties.Type);
        Assert.Equal("application/json", moved.BasicProperties.ContentType);
        Assert.True(moved.BasicProperties.Persistent);

        var headers = moved.BasicProperties.Headers!;
        Assert.Equal(id, Text(headers[Rebus.Messages.Headers.MessageId]));
        Assert.Equal("corr-" + id, Text(headers[Rebus.Messages.Headers.CorrelationId]));
        Assert.Equal("acme", Text(headers[HubHeaders.Tenant]));
        Assert.Equal("cause-1", Text(headers[HubHeaders.CausationId]));
        Assert.Equal("orders-api", Text(headers[HubHeaders.SendingEndpoint]));
        Assert.Equal("application/json;charset=utf-8", Text(headers["rbs2-content-type"]));
        Assert.DoesNotContain(Rebus.Messages.Headers.ErrorDetails, headers.Keys);
        Assert.DoesNotContain(Rebus.Messages.Headers.SourceQueue, headers.Keys);
        Assert.DoesNotContain(HubHeaders.DelayedRetries, headers.Keys);
        Assert.DoesNotContain(headers.Keys, k => k.StartsWith("hub-error-", StringComparison.Ordinal));
        // The error queue's redelivery counter (1 after the listing) must not follow the message: the source
        // queue starts its own count (RabbitMQ 3.x quorum queues stamp 0 on the first delivery).
        if (headers.TryGetValue("x-delivery-count", out var deliveryCount))
        {
            Assert.Equal(0L, Convert.ToInt64(deliveryCount, System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public async Task Retry_all_moves_every_message()
    {
        var otherSource = await _broker.DeclareQuorumQueueAsync($"test.src.{Guid.NewGuid().ToString("N")[..8]}");
        var toFirst = new[] { await _broker.PublishFailedAsync(_broker.SourceQueue), await _broker.PublishFailedAsync(_broker.SourceQueue) };
        var toSecond = await _broker.PublishFailedAsync(otherSource);

        await using var queue = await _broker.ConnectErrorQueueAsync();
        var outcomes = await queue.RetryAllAsync();

        Assert.Equal(3, outcomes.Count);
        Assert.All(outcomes, o => Assert.Equal(RetryStatus.Moved, o.Status));
        Assert.Equal(
            [(toFirst[0], _broker.SourceQueue), (toFirst[1], _broker.SourceQueue), (toSecond, otherSource)],
            outcomes.Select(o => (o.MessageId, o.SourceQueue!)));
        await _broker.WaitForCountAsync(_broker.ErrorQueue, 0);
        await _broker.WaitForCountAsync(_broker.SourceQueue, 2);
        await _broker.WaitForCountAsync(otherSource, 1);
    }

    [Fact]
    public async Task Retry_to_a_missing_source_queue_keeps_the_message_and_says_why()
    {
        var missing = $"test.src.gone.{Guid.NewGuid().ToString("N")[..8]}";
        var orphan = await _broker.PublishFailedAsync(missing);
        var noSource = await _broker.PublishFailedAsync(sourceQueue: null);
        var fine = await _broker.PublishFailedAsync(_broker.SourceQueue);

        await using var queue = await _broker.ConnectErrorQueueAsync();
        var single = await queue.RetryAsync(orphan);
        Assert.Equal(RetryStatus.SourceQueueMissing, single.Status);
        Assert.Equal(missing, single.SourceQueue);
        Assert.Contains($"source queue '{missing}' does not exist", single.Reason);
        Assert.Contains($"stays in '{_broker.ErrorQueue}'", single.Reason);
        await _broker.WaitForCountAsync(_broker.ErrorQueue, 3);

        var all = await queue.RetryAllAsync();
        Assert.Equal([RetryStatus.SourceQueueMissing, RetryStatus.NoSourceQueue, RetryStatus.Moved],
            all.Select(o => o.Status));
        Assert.Contains("rbs2-source-queue", all[1].Reason);

        await _broker.WaitForCountAsync(_broker.ErrorQueue, 2);
        await _broker.WaitForCountAsync(_broker.SourceQueue, 1);
        var left = await queue.ListAsync(10);
        Assert.Equal([orphan, noSource], left.Messages.Select(m => m.MessageId));
        Assert.DoesNotContain(fine, left.Messages.Select(m => m.MessageId));
    }

    [Fact]
    public async Task Unknown_id_is_reported_clearly()
    {
        await _broker.PublishFailedAsync(_broker.SourceQueue);
        await using var queue = await _broker.ConnectErrorQueueAsync();

        Assert.Null(await queue.GetAsync("no-such-id"));
        var outcome = await queue.RetryAsync("no-such-id");

        Assert.Equal(RetryStatus.NotFound, outcome.Status);
        Assert.Equal($"no message with id 'no-such-id' in '{_broker.ErrorQueue}'", outcome.Reason);
        await _broker.WaitForCountAsync(_broker.ErrorQueue, 1);
        await _broker.WaitForCountAsync(_broker.SourceQueue, 0);
    }

    [Fact]
    public async Task Missing_error_queue_is_reported_clearly()
    {
        var missing = $"test.error.gone.{Guid.NewGuid().ToString("N")[..8]}";
        var e = await Assert.ThrowsAsync<HubCtlException>(() => ErrorQueue.ConnectAsync(_broker.Uri, missing));
        Assert.Equal($"error queue '{missing}' does not exist on {BrokerConnection.Redact(_broker.Uri)}", e.Message);
        Assert.Equal(ExitCodes.Unavailable, e.ExitCode);
    }

    private static string Text(object? value) => Encoding.UTF8.GetString(Assert.IsType<byte[]>(value));
}
