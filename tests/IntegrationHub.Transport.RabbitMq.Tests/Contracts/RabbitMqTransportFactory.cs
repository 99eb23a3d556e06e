using IntegrationHub.Testing;
using IntegrationHub.Transport.RabbitMq.Internals;
using Rebus.Logging;
using Rebus.Transport;

namespace IntegrationHub.Transport.RabbitMq.Tests.Contracts;

/// <summary>The hub's RabbitMQ transport against the real broker; deletes its queues afterwards.</summary>
public sealed class RabbitMqTransportFactory : ITransportFactory
{
    readonly RabbitMqTestScope _scope = new();
    readonly List<RabbitMqTransport> _transports = new();

    public static IRebusLoggerFactory LoggerFactory { get; } = new ConsoleLoggerFactory(colored: false) { MinLevel = LogLevel.Warn };

    public string NewQueueName() => _scope.Queue();

    public ITransport Create(string inputQueueName) => CreateRabbitMq(inputQueueName);

    public ITransport CreateOneWay() => CreateRabbitMq(null);

    internal RabbitMqTransport CreateRabbitMq(string? inputQueueName, Action<RabbitMqTransportOptions>? configure = null)
    {
        var options = new RabbitMqTransportOptions(inputQueueName);
        configure?.Invoke(options);
        var transport = new RabbitMqTransport(options.ToSettings(RabbitMqBroker.ConnectionString, inputQueueName), LoggerFactory);
        lock (_transports) _transports.Add(transport);
        if (inputQueueName != null) _scope.Track(inputQueueName);
        transport.Initialize();
        return transport;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var transport in _transports) transport.Dispose();
        await _scope.DisposeAsync();
    }
}
