using Rebus.Transport;
using Rebus.Transport.InMem;

namespace IntegrationHub.Transport.RabbitMq.Tests.Contracts;

/// <summary>Rebus's own in-memory transport: the reference behaviour the contract is checked against.</summary>
public sealed class InMemTransportFactory : ITransportFactory
{
    readonly InMemNetwork _network = new();

    public string NewQueueName() => $"test.{Guid.NewGuid().ToString("N")[..8]}";

    public ITransport Create(string inputQueueName)
    {
        var transport = new InMemTransport(_network, inputQueueName);
        transport.Initialize();
        return transport;
    }

    public ITransport CreateOneWay() => new InMemTransport(_network, null);

    public ValueTask DisposeAsync()
    {
        _network.Reset();
        return ValueTask.CompletedTask;
    }
}
