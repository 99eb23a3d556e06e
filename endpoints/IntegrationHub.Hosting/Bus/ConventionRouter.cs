using Rebus.Messages;
using Rebus.Routing;

namespace IntegrationHub.Hosting.Bus;

/// <summary>
/// Routes a command to the endpoint that owns it: commands live in
/// <c>IntegrationHub.Contracts.{Endpoint}.Commands</c> and go to queue <c>hub.{endpoint}</c>.
/// No routing table to keep in sync, and the queue name says who handles what.
/// </summary>
internal sealed class ConventionRouter : IRouter
{
    const string Prefix = "IntegrationHub.Contracts.";
    const string CommandsSuffix = ".Commands";

    public Task<string> GetDestinationAddress(Message message) =>
        Task.FromResult(OwnerQueueOf(message.Body.GetType()));

    public Task<string> GetOwnerAddress(string topic)
    {
        var type = Type.GetType(topic, throwOnError: false)
            ?? throw new InvalidOperationException($"Cannot find the owner of topic '{topic}': it names no loaded type.");
        return Task.FromResult(OwnerQueueOf(type));
    }

    internal static string OwnerQueueOf(Type messageType)
    {
        var ns = messageType.Namespace ?? "";
        if (ns.StartsWith(Prefix, StringComparison.Ordinal) && ns.EndsWith(CommandsSuffix, StringComparison.Ordinal))
        {
            var endpoint = ns[Prefix.Length..^CommandsSuffix.Length];
            if (endpoint.Length > 0 && !endpoint.Contains('.'))
                return HubEndpoint.QueueNameOf(endpoint);
        }

        throw new InvalidOperationException(
            $"No endpoint owns {messageType.FullName}: a command sent through the bus must live in namespace " +
            $"'{Prefix}<Endpoint>{CommandsSuffix}' (it then goes to queue 'hub.<endpoint>'). " +
            "Messages private to an endpoint are sent with SendLocal.");
    }
}
