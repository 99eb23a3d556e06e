using Rebus.Transport;

namespace IntegrationHub.Transport.RabbitMq.Tests.Contracts;

/// <summary>Creates initialized transports for a contract suite and cleans up everything it created.</summary>
public interface ITransportFactory : IAsyncDisposable
{
    /// <summary>A new unique queue name for this factory's broker.</summary>
    string NewQueueName();

    /// <summary>A transport consuming from <paramref name="inputQueueName"/> (declared if needed).</summary>
    ITransport Create(string inputQueueName);

    /// <summary>A send-only transport.</summary>
    ITransport CreateOneWay();
}
