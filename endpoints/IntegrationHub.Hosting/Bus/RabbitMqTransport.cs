using Rebus.Config;
using Rebus.Transport;

namespace IntegrationHub.Hosting.Bus;

internal static class RabbitMqTransport
{
    public static void Configure(StandardConfigurer<ITransport> t, HubOptions options, string endpointName, string? inputQueue)
    {
        throw new NotSupportedException("RabbitMQ transport is being wired in.");
    }
}
