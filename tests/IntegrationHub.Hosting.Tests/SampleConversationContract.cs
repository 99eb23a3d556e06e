using IntegrationHub.Testing;
using IntegrationHub.Contracts.Sample.Commands;
using IntegrationHub.Contracts.Sample.Events;
using IntegrationHub.Contracts.Sample.Replies;
using IntegrationHub.Hosting.Bus;
using IntegrationHub.Hosting;
using IntegrationHub.Sample;
using Microsoft.Extensions.DependencyInjection;
using Rebus.Config;
using Rebus.Messages;

namespace IntegrationHub.Hosting.Tests;

/// <summary>
/// The sample conversation end to end — command, saga, deferred timeout, provider answer, reply, event — run on
/// every infrastructure the hub supports.
/// </summary>
public abstract class SampleConversationContract<TInfrastructure>(TInfrastructure infrastructure)
    : IClassFixture<TInfrastructure>, IAsyncLifetime
    where TInfrastructure : class, IHubInfrastructure
{
    readonly MessageRecorder _recorder = new();
    readonly string _client = Names.UniqueEndpoint("Client");
    HubTestHost _host = null!;

    public async Task InitializeAsync()
    {
        var client = new TestEndpoint(_client, e => e
                .Recording<EchoResult>(_recorder)
                .Recording<EchoFinished>(_recorder),
            typeof(EchoFinished));
        _host = await HubTestHost.Start(infrastructure.Settings(), new SampleEndpoint(), client);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await infrastructure.CleanUp(HubEndpoint.QueueNameOf(_client));
    }

    [Fact]
    public async Task Echo_request_completes_with_the_provider_answer()
    {
        var requestId = Guid.NewGuid().ToString();
        await _host.Bus(_client).Send(new StartEcho(requestId, "hello", TimeSpan.FromSeconds(30)));

        var reply = await _recorder.WaitFor<EchoResult>(r => r.RequestId == requestId);

        Assert.Equal(new EchoResult(requestId, "completed", "HELLO"), reply.Message);
    }

    [Fact]
    public async Task Silent_provider_makes_the_conversation_time_out()
    {
        var requestId = Guid.NewGuid().ToString();
        await _host.Bus(_client).Send(new StartEcho(requestId, "silent", TimeSpan.FromSeconds(1)));

        var reply = await _recorder.WaitFor<EchoResult>(r => r.RequestId == requestId);

        Assert.Equal("timed-out", ((EchoResult)reply.Message).Status);
        Assert.Null(((EchoResult)reply.Message).Echo);
    }

    [Fact]
    public async Task Finished_conversation_is_published_to_subscribers()
    {
        var requestId = Guid.NewGuid().ToString();
        await _host.Bus(_client).Send(new StartEcho(requestId, "hi", TimeSpan.FromSeconds(30)));

        var finished = await _recorder.WaitFor<EchoFinished>(e => e.RequestId == requestId);

        Assert.Equal("completed", ((EchoFinished)finished.Message).Status);
    }

    [Fact]
    public async Task Replies_carry_tenant_causation_correlation_and_sending_endpoint()
    {
        var requestId = Guid.NewGuid().ToString();
        await _host.Bus(_client).Send(new StartEcho(requestId, "hi", TimeSpan.FromSeconds(30)), new Dictionary<string, string>
        {
            [HubHeaders.Tenant] = "dept-health",
            [Headers.CorrelationId] = requestId,
        });

        var reply = await _recorder.WaitFor<EchoResult>(r => r.RequestId == requestId);

        Assert.Equal("dept-health", reply.Headers[HubHeaders.Tenant]);
        Assert.Equal(requestId, reply.Headers[Headers.CorrelationId]);
        Assert.Equal("Sample", reply.Headers[HubHeaders.SendingEndpoint]);
        Assert.False(string.IsNullOrEmpty(reply.Headers[HubHeaders.CausationId]));
        Assert.NotEqual(reply.Headers[Headers.MessageId], reply.Headers[HubHeaders.CausationId]);
    }

    [Fact]
    public async Task Redelivered_start_does_not_start_a_second_conversation()
    {
        var bus = _host.Bus(_client);
        var requestId = Guid.NewGuid().ToString();
        await bus.Send(new StartEcho(requestId, "silent", TimeSpan.FromSeconds(2)));
        await bus.Send(new StartEcho(requestId, "silent", TimeSpan.FromSeconds(2)));
        await _recorder.WaitFor<EchoResult>(r => r.RequestId == requestId);

        // A second conversation would time out with the first; one that starts later and times out later
        // proves that moment has passed.
        var later = Guid.NewGuid().ToString();
        await bus.Send(new StartEcho(later, "silent", TimeSpan.FromSeconds(3)));
        await _recorder.WaitFor<EchoResult>(r => r.RequestId == later);

        Assert.Single(_recorder.OfType<EchoResult>(), r => r.RequestId == requestId);
    }
}

public sealed class SampleConversation_InMemory(InMemoryInfrastructure infrastructure)
    : SampleConversationContract<InMemoryInfrastructure>(infrastructure);
