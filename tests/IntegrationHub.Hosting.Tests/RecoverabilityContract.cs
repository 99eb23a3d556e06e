using System.Collections.Concurrent;
using System.Text;
using IntegrationHub.Hosting.Bus;
using IntegrationHub.Hosting;
using IntegrationHub.Testing;
using Microsoft.Extensions.DependencyInjection;
using Rebus.Bus;
using Rebus.Config;
using Rebus.Handlers;
using Rebus.Messages;

namespace IntegrationHub.Hosting.Tests;

public sealed record Flaky(string Id, int Failures);
public sealed record NobodyHandlesThis(string Id);

public sealed class AttemptLog
{
    public ConcurrentDictionary<string, int> Attempts { get; } = new();
    public ConcurrentDictionary<string, bool> Succeeded { get; } = new();
}

public sealed class FlakyHandler(AttemptLog log) : IHandleMessages<Flaky>
{
    public Task Handle(Flaky message)
    {
        var attempt = log.Attempts.AddOrUpdate(message.Id, 1, (_, n) => n + 1);
        if (attempt <= message.Failures)
            throw new InvalidOperationException($"provider unavailable (attempt {attempt})");
        log.Succeeded[message.Id] = true;
        return Task.CompletedTask;
    }
}

/// <summary>Immediate retries, then delayed retries, then the error queue with the reason — on every infrastructure.</summary>
public abstract class RecoverabilityContract<TInfrastructure>(TInfrastructure infrastructure)
    : IClassFixture<TInfrastructure>, IAsyncLifetime
    where TInfrastructure : class, IHubInfrastructure
{
    readonly AttemptLog _log = new();
    readonly string _endpoint = Names.UniqueEndpoint("Retry");
    readonly string _errorQueue = "test.error." + Guid.NewGuid().ToString("N")[..8];
    HubTestHost _host = null!;

    IBus Bus => _host.Bus(_endpoint);

    public async Task InitializeAsync()
    {
        var settings = infrastructure.Settings();
        settings["Hub:ErrorQueue"] = _errorQueue;
        settings["Hub:Retries:ImmediateAttempts"] = "2";
        settings["Hub:Retries:Delays:0"] = "00:00:00.200";
        settings["Hub:Retries:Delays:1"] = "00:00:00.300";
        var endpoint = new TestEndpoint(_endpoint, e => e.With(_log).Handler<FlakyHandler>());
        _host = await HubTestHost.Start(settings, endpoint);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await infrastructure.CleanUp(HubEndpoint.QueueNameOf(_endpoint), _errorQueue);
    }

    [Fact]
    public async Task Transient_failure_succeeds_on_a_delayed_retry()
    {
        var id = Guid.NewGuid().ToString();
        await Bus.SendLocal(new Flaky(id, Failures: 3)); // 2 immediate attempts fail, then 1 of the first delayed round

        await Eventually.Until(() => _log.Succeeded.ContainsKey(id), TimeSpan.FromSeconds(30), "the flaky message to succeed");

        Assert.Equal(4, _log.Attempts[id]);
    }

    [Fact]
    public async Task Persistent_failure_ends_in_error_queue_with_reason()
    {
        var id = Guid.NewGuid().ToString();
        await Bus.SendLocal(new Flaky(id, Failures: int.MaxValue), new Dictionary<string, string> { [HubHeaders.Tenant] = "dept-a" });

        var failed = Assert.Single(await infrastructure.TakeMessages(_host, _errorQueue, 1));

        Assert.Equal(6, _log.Attempts[id]); // (1 + 2 delayed rounds) x 2 immediate attempts
        Assert.Contains(nameof(InvalidOperationException), failed.Headers[HubHeaders.ErrorType]);
        Assert.Equal("provider unavailable (attempt 6)", failed.Headers[HubHeaders.ErrorMessage]);
        Assert.Equal("6", failed.Headers[HubHeaders.ErrorAttempts]);
        Assert.Equal("2", failed.Headers[HubHeaders.DelayedRetries]);
        Assert.Equal(HubEndpoint.QueueNameOf(_endpoint), failed.Headers[Headers.SourceQueue]);
        Assert.Contains("at IntegrationHub.Hosting.Tests.FlakyHandler.Handle", failed.Headers[Headers.ErrorDetails]);
        Assert.True(DateTimeOffset.TryParse(failed.Headers[HubHeaders.ErrorFailedAt], out var failedAt));
        Assert.InRange(failedAt, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.Equal("dept-a", failed.Headers[HubHeaders.Tenant]);
        Assert.Contains(id, Encoding.UTF8.GetString(failed.Body)); // the message itself is kept, to be retried
    }

    [Fact]
    public async Task Undeserializable_message_goes_straight_to_error_queue()
    {
        var id = Guid.NewGuid().ToString();
        await infrastructure.DeliverRaw(_host, HubEndpoint.QueueNameOf(_endpoint), new Dictionary<string, string>
        {
            [Headers.MessageId] = id,
            [Headers.Type] = $"{typeof(Flaky).FullName}, {typeof(Flaky).Assembly.GetName().Name}",
            [Headers.ContentType] = "application/json;charset=utf-8",
        }, Encoding.UTF8.GetBytes("{ this is not json"));

        var failed = Assert.Single(await infrastructure.TakeMessages(_host, _errorQueue, 1));

        Assert.Equal(id, failed.Headers[Headers.MessageId]);
        Assert.Contains("MessageDeserializationException", failed.Headers[HubHeaders.ErrorType]);
        Assert.Contains("could not be deserialized", failed.Headers[HubHeaders.ErrorMessage]);
        Assert.Equal("1", failed.Headers[HubHeaders.ErrorAttempts]);
        Assert.False(failed.Headers.ContainsKey(HubHeaders.DelayedRetries));
        Assert.Empty(_log.Attempts);
    }

    [Fact]
    public async Task Message_no_handler_accepts_goes_straight_to_error_queue()
    {
        await Bus.SendLocal(new NobodyHandlesThis("x"));

        var failed = Assert.Single(await infrastructure.TakeMessages(_host, _errorQueue, 1));

        Assert.Contains("MessageCouldNotBeDispatchedToAnyHandlersException", failed.Headers[HubHeaders.ErrorType]);
        Assert.Equal("1", failed.Headers[HubHeaders.ErrorAttempts]);
    }
}

public sealed class Recoverability_InMemory(InMemoryInfrastructure infrastructure)
    : RecoverabilityContract<InMemoryInfrastructure>(infrastructure);
