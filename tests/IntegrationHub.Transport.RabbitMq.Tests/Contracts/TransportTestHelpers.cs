using System.Text;
using IntegrationHub.Testing;
using Rebus.Messages;
using Rebus.Transport;

namespace IntegrationHub.Transport.RabbitMq.Tests.Contracts;

public static class TransportTestHelpers
{
    public static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(20);

    public static TransportMessage NewMessage(string text, IDictionary<string, string>? extraHeaders = null)
    {
        var headers = new Dictionary<string, string>
        {
            [Headers.MessageId] = Guid.NewGuid().ToString(),
            [Headers.Type] = "IntegrationHub.Tests.TextMessage, IntegrationHub.Tests",
            [Headers.ContentType] = "text/plain;charset=utf-8",
        };
        if (extraHeaders != null) foreach (var (key, value) in extraHeaders) headers[key] = value;
        return new TransportMessage(headers, Encoding.UTF8.GetBytes(text));
    }

    public static string Text(this TransportMessage message) => Encoding.UTF8.GetString(message.Body);

    public static string Id(this TransportMessage message) => message.Headers[Headers.MessageId];

    /// <summary>Sends in its own transaction and commits it.</summary>
    public static async Task SendCommittedAsync(this ITransport transport, string destination, params TransportMessage[] messages)
    {
        using var scope = new RebusTransactionScope();
        foreach (var message in messages) await transport.Send(destination, message, scope.TransactionContext);
        await scope.CompleteAsync();
    }

    /// <summary>Receives one message and commits (acks) it; polls until one arrives.</summary>
    public static async Task<TransportMessage> ReceiveCommittedAsync(this ITransport transport)
    {
        TransportMessage? received = null;
        await Eventually.Until(async () =>
        {
            using var scope = new RebusTransactionScope();
            received = await transport.Receive(scope.TransactionContext, CancellationToken.None);
            if (received == null) return false;
            await scope.CompleteAsync();
            return true;
        }, WaitTimeout, $"a message arrives in queue '{transport.Address}'");
        return received!;
    }

    /// <summary>Tries one receive (committed if a message came); null when nothing is there right now.</summary>
    public static async Task<TransportMessage?> TryReceiveCommittedAsync(this ITransport transport)
    {
        using var scope = new RebusTransactionScope();
        var received = await transport.Receive(scope.TransactionContext, CancellationToken.None);
        if (received != null) await scope.CompleteAsync();
        return received;
    }
}
