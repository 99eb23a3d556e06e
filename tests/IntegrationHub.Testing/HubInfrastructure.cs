using IntegrationHub.Testing;
using Microsoft.Extensions.DependencyInjection;
using Rebus.Messages;
using Rebus.Transport.InMem;

namespace IntegrationHub.Testing;

/// <summary>
/// What a contract suite needs from the infrastructure it runs on: the settings that select it, and a way to
/// look into and write raw messages to a queue as an operator or a misbehaving sender would.
/// </summary>
public interface IHubInfrastructure : IAsyncLifetime
{
    string Name { get; }

    Dictionary<string, string?> Settings();

    /// <summary>Takes messages from a queue until <paramref name="count"/> arrived (bounded wait).</summary>
    Task<IReadOnlyList<TransportMessage>> TakeMessages(HubTestHost host, string queue, int count);

    Task DeliverRaw(HubTestHost host, string queue, Dictionary<string, string> headers, byte[] body);

    /// <summary>Removes what a test left behind (queues) on shared infrastructure.</summary>
    Task CleanUp(params string[] queues);
}

public sealed class InMemoryInfrastructure : IHubInfrastructure
{
    public string Name => "in-memory";

    public Dictionary<string, string?> Settings() => new()
    {
        ["Hub:Transport"] = "InMemory",
        ["Hub:Persistence"] = "InMemory",
    };

    public async Task<IReadOnlyList<TransportMessage>> TakeMessages(HubTestHost host, string queue, int count)
    {
        var network = host.Services.GetRequiredService<InMemNetwork>();
        var taken = new List<TransportMessage>();
        await Eventually.Until(() =>
        {
            while (network.GetNextOrNull(queue) is { } message)
                taken.Add(message.ToTransportMessage());
            return taken.Count >= count;
        }, TimeSpan.FromSeconds(30), $"{count} message(s) in {queue}");
        return taken;
    }

    public Task DeliverRaw(HubTestHost host, string queue, Dictionary<string, string> headers, byte[] body)
    {
        host.Services.GetRequiredService<InMemNetwork>().Deliver(queue, new TransportMessage(headers, body).ToInMemTransportMessage());
        return Task.CompletedTask;
    }

    public Task CleanUp(params string[] queues) => Task.CompletedTask;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => Task.CompletedTask;
}
