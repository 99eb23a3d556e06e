using System.Diagnostics;
using IntegrationHub.Hosting.Observability;
using Rebus.Messages;
using Rebus.Serialization;

namespace IntegrationHub.Hosting.Recoverability;

internal sealed class FailFastDeserializer(ISerializer inner, string endpoint) : ISerializer
{
    public Task<TransportMessage> Serialize(Message message) => inner.Serialize(message);

    public async Task<Message> Deserialize(TransportMessage transportMessage)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var message = await inner.Deserialize(transportMessage);
            StepStages.Record(StepStages.Deserialize, endpoint, started);
            return message;
        }
        catch (Exception exception)
        {
            var type = transportMessage.Headers.GetValueOrDefault(Headers.Type) ?? "<no type header>";
            throw new MessageDeserializationException(
                $"Message could not be deserialized as '{type}' ({exception.GetType().Name}: {exception.Message}); it will not be retried.",
                exception);
        }
    }
}
