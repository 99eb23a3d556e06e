namespace IntegrationHub.Ctl.Tests;

public sealed class CommandLineTests : IAsyncLifetime
{
    private readonly TestBroker _broker = new();

    public Task InitializeAsync() => _broker.InitializeAsync();

    public Task DisposeAsync() => _broker.DisposeAsync();

    [Fact]
    public async Task Errors_list_prints_a_table_and_retry_reports_what_moved_where()
    {
        var (code, output, error) = await RunAsync("errors", "list");
        Assert.Equal(0, code);
        Assert.Equal($"No failed messages in '{_broker.ErrorQueue}'.", output.Trim());
        Assert.Empty(error);

        var movable = await _broker.PublishFailedAsync(_broker.SourceQueue);
        var missing = $"test.src.gone.{Guid.NewGuid().ToString("N")[..8]}";
        var orphan = await _broker.PublishFailedAsync(missing);

        (code, output, error) = await RunAsync("errors", "list");
        Assert.Equal(0, code);
        Assert.Empty(error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
        Assert.Matches(@"^ID\s+TYPE\s+SOURCE QUEUE\s+FAILED AT\s+ATTEMPTS\s+EXCEPTION\s+MESSAGE$", lines[0]);
        Assert.Matches($@"^{movable}\s+OrderPlaced\s+{_broker.SourceQueue}\s+2025-11-24 06:50:12Z\s+5\s+InvalidOperationException\s+Customer 42 is blocked$", lines[1]);
        Assert.StartsWith(orphan, lines[2]);
        Assert.Equal($"2 failed message(s) in '{_broker.ErrorQueue}'.", lines[^1]);
        await _broker.WaitForCountAsync(_broker.ErrorQueue, 2);

        (code, output, _) = await RunAsync("errors", "show", movable);
        Assert.Equal(0, code);
        Assert.Contains("at IntegrationHub.Sample.OrderHandler.Handle(OrderPlaced message) in OrderHandler.cs:line 17", output);
        Assert.Contains("hub-tenant = acme", output);
        Assert.Contains("\"customer\": \"Zoë\"", output);

        (code, output, error) = await RunAsync("errors", "retry", "--all");
        Assert.Equal(1, code);
        Assert.Contains($"moved      {movable} -> {_broker.SourceQueue}", output);
        Assert.Contains($"not moved  {orphan}: source queue '{missing}' does not exist", error);
        Assert.Contains("1 message(s) moved, 1 not moved", output);
        await _broker.WaitForCountAsync(_broker.ErrorQueue, 1);
        await _broker.WaitForCountAsync(_broker.SourceQueue, 1);

        (code, _, error) = await RunAsync("errors", "retry", "no-such-id");
        Assert.Equal(1, code);
        Assert.Contains($"no message with id 'no-such-id' in '{_broker.ErrorQueue}'", error);
    }

    [Fact]
    public async Task Errors_list_json_contains_full_error_details()
    {
        var id = await _broker.PublishFailedAsync(_broker.SourceQueue);

        var (code, output, _) = await RunAsync("errors", "list", "--json");

        Assert.Equal(0, code);
        using var json = System.Text.Json.JsonDocument.Parse(output);
        Assert.Equal(1, json.RootElement.GetProperty("total").GetInt32());
        var message = json.RootElement.GetProperty("messages")[0];
        Assert.Equal(id, message.GetProperty("messageId").GetString());
        Assert.Contains("OrderHandler.cs:line 17", message.GetProperty("errorDetails").GetString());
        Assert.Equal("acme", message.GetProperty("headers").GetProperty("hub-tenant").GetString());
    }

    [Fact]
    public async Task Unreachable_broker_is_reported_without_a_stack_trace()
    {
        var (code, output, error) = await RunAsync("errors", "list", "--rabbitmq", "amqp://guest:secret@127.0.0.1:1/");

        Assert.Equal(2, code);
        Assert.Empty(output);
        Assert.Equal("hubctl: cannot reach RabbitMQ at amqp://127.0.0.1:1/: connection refused", error.Trim());
        Assert.DoesNotContain("secret", error);
    }

    private Task<(int Code, string Output, string Error)> RunAsync(params string[] args) =>
        Hubctl.Run(args.Contains("--rabbitmq") ? args : [.. args, "--rabbitmq", _broker.Uri, "--error-queue", _broker.ErrorQueue]);
}
