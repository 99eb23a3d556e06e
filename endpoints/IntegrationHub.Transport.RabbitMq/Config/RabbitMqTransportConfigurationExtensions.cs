using IntegrationHub.Transport.RabbitMq.Internals;
using Rebus.Config;
using Rebus.Logging;
using Rebus.Subscriptions;
using Rebus.Transport;

namespace IntegrationHub.Transport.RabbitMq;

/// <summary>The one public entry point of the hub's RabbitMQ transport.</summary>
public static class RabbitMqTransportConfigurationExtensions
{
    /// <summary>
    /// Uses RabbitMQ as the transport of a normal endpoint consuming from <paramref name="inputQueueName"/>.
    /// Also registers native publish/subscribe (topic exchange) as the centralized subscription storage.
    /// </summary>
    public static RabbitMqTransportOptions UseHubRabbitMq(this StandardConfigurer<ITransport> configurer, string connectionString, string inputQueueName)
    {
        ArgumentNullException.ThrowIfNull(configurer);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentException.ThrowIfNullOrWhiteSpace(inputQueueName);

        var options = new RabbitMqTransportOptions(inputQueueName);
        Register(configurer, connectionString, inputQueueName, options);
        return options;
    }

    /// <summary>Uses RabbitMQ as the transport of a send-only client (no input queue).</summary>
    public static RabbitMqTransportOptions UseHubRabbitMqAsOneWayClient(this StandardConfigurer<ITransport> configurer, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(configurer);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);

        var options = new RabbitMqTransportOptions(null);
        Register(configurer, connectionString, null, options);
        OneWayClientBackdoor.ConfigureOneWayClient(configurer);
        return options;
    }

    static void Register(StandardConfigurer<ITransport> configurer, string connectionString, string? inputQueueName, RabbitMqTransportOptions options)
    {
        // options are read at resolution time (bus start), after the fluent calls have been made
        configurer.OtherService<RabbitMqTransport>()
            .Register(c => new RabbitMqTransport(options.ToSettings(connectionString, inputQueueName), c.Get<IRebusLoggerFactory>()),
                description: "IntegrationHub RabbitMQ transport");

        configurer.Register(c => c.Get<RabbitMqTransport>(), description: "IntegrationHub RabbitMQ transport");

        configurer.OtherService<ISubscriptionStorage>()
            .Register(c => c.Get<RabbitMqTransport>(), description: "RabbitMQ native publish/subscribe (topic exchange bindings)");
    }
}
