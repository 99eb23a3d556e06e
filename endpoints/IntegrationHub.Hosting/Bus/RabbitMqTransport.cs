using IntegrationHub.Transport.RabbitMq;
using Rebus.Config;
using Rebus.Transport;

namespace IntegrationHub.Hosting.Bus;

internal static class RabbitMqTransport
{
    public static void Configure(StandardConfigurer<ITransport> t, HubOptions options, string inputQueue)
    {
        t.UseHubRabbitMq(options.RabbitMqConnectionString, inputQueue)
            .QueueType(options.QueueType == "Classic" ? RabbitMqQueueType.Classic : RabbitMqQueueType.Quorum)
            .Prefetch(options.Prefetch);
    }
}
