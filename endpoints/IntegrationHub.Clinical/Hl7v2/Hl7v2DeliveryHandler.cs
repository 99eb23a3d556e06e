using System.Collections.Concurrent;
using IntegrationHub.Adapters.Hl7v2;
using IntegrationHub.Adapters.Mllp;
using IntegrationHub.Contracts.Clinical.Commands;
using IntegrationHub.Contracts.Clinical.Events;
using Rebus.Bus;
using Rebus.Handlers;
using Rebus.Exceptions;

namespace IntegrationHub.Clinical.Hl7v2;

/// <summary>
/// Delivers <see cref="DeliverHl7v2Message"/> over MLLP (an external call: no transaction is held while it waits for
/// the ACK). The client retries AE and no ACK with backoff up to the destination's attempts; then — or at once on AR —
/// the command goes to the error queue with the reason, where <c>hubctl errors</c> shows it and can send it again.
/// </summary>
public sealed class Hl7v2DeliveryHandler(Hl7v2Destinations destinations, IBus bus, TimeProvider time, ILogger<Hl7v2DeliveryHandler> logger)
    : IHandleMessages<DeliverHl7v2Message>
{
    public async Task Handle(DeliverHl7v2Message message)
    {
        var (destination, client) = destinations.For(message);
        // Written in the character set MSH-18 declares (8859/1 stays Latin-1 on the wire).
        var parsed = Hl7Parser.Parse(message.Message).Message
                     ?? throw new Hl7v2DeliveryFailedException($"HL7 v2 delivery {message.DeliveryId}: the message has no MSH segment");
        if (parsed.Msh.CharacterSet is "8859/1" or "ASCII")
            parsed = Hl7Parser.Parse(message.Message, encoding: System.Text.Encoding.Latin1).Message!;
        var bytes = Hl7Writer.WriteBytes(parsed);
        var controlId = parsed.Msh.ControlId;
        var delivery = await client.Deliver(bytes, CancellationToken.None);
        if (delivery.Outcome != MllpOutcome.Accepted)
        {
            // The receiver's own texts (MSA-3, ERR) may quote the patient: only codes and places are logged and kept.
            var why = delivery.Outcome == MllpOutcome.NoAck ? delivery.Detail : ErrorCodes(delivery.Ack);
            logger.LogWarning("HL7 v2 delivery {DeliveryId} to {Destination} failed after {Attempts} attempt(s): {Outcome} {AckCode} {Why}",
                message.DeliveryId, destination.Name, delivery.Attempts, delivery.Outcome, delivery.AckCode, why);
            throw new Hl7v2DeliveryFailedException(
                $"HL7 v2 delivery {message.DeliveryId} to {destination.Name} ({destination.Host}:{destination.Port}): " +
                (delivery.Outcome == MllpOutcome.Rejected ? $"rejected ({delivery.AckCode})" : $"{delivery.Outcome} after {delivery.Attempts} attempt(s)") +
                (why is { Length: > 0 } ? ": " + why : ""));
        }
        logger.LogInformation("HL7 v2 delivery {DeliveryId} to {Destination}: {AckCode} after {Attempts} attempt(s)",
            message.DeliveryId, destination.Name, delivery.AckCode, delivery.Attempts);
        await bus.Publish(new Hl7v2MessageDelivered(message.DeliveryId, message.Department, destination.Name, controlId, delivery.AckCode ?? "AA",
            delivery.Attempts, time.GetUtcNow()));
    }

    /// <summary>The ACK's ERR condition codes and where they point (ERR-3.1 at ERR-2, v2.5+), without the receiver's texts.</summary>
    static string ErrorCodes(byte[]? ack)
    {
        if (ack is null || Hl7Parser.Parse(ack).Message is not { } parsed) return "";
        return string.Join(", ", parsed.All("ERR").Select(err =>
        {
            var code = err[3, 1].Length > 0 ? err[3, 1] : err[1, 4, 1];
            var at = err[2, 1].Length > 0 ? $" at {err[2, 1]}-{err[2, 3]}" : "";
            return $"code {code}{at}";
        }).Take(5));
    }
}

/// <summary>Not retried by the bus: the MLLP client already tried as often as the destination allows.</summary>
public sealed class Hl7v2DeliveryFailedException(string message) : Exception(message), IFailFastException;

/// <summary>One MLLP client per destination, reused by every delivery to it (one connection, messages in turn).</summary>
public sealed class Hl7v2Destinations(Hl7v2Options options, ILoggerFactory loggers) : IAsyncDisposable
{
    readonly ConcurrentDictionary<string, MllpClient> _clients = new(StringComparer.OrdinalIgnoreCase);

    public (Hl7v2Destination Destination, MllpClient Client) For(DeliverHl7v2Message message)
    {
        if (!options.Destinations.TryGetValue(message.Destination, out var destination))
            throw new Hl7v2DeliveryFailedException($"HL7 v2 delivery {message.DeliveryId}: there is no destination '{message.Destination}' in {Hl7v2Options.SectionName}:Destinations");
        if (destination.Department != Hosting.Departments.DepartmentRegistry.Normalize(message.Department))
            throw new Hl7v2DeliveryFailedException($"HL7 v2 delivery {message.DeliveryId}: destination '{destination.Name}' does not take department '{message.Department}''s messages");
        var client = _clients.GetOrAdd(destination.Name, _ => new MllpClient(new MllpClientOptions
        {
            Host = destination.Host,
            Port = destination.Port,
            Tls = destination.Tls,
            TlsServerName = destination.TlsServerName,
            AckTimeout = destination.AckTimeout,
            MaxAttempts = destination.MaxAttempts,
            FirstRetryDelay = destination.FirstRetryDelay,
            MaxRetryDelay = destination.MaxRetryDelay,
        }, loggers.CreateLogger("IntegrationHub.Clinical.Mllp.Destinations." + destination.Name)));
        return (destination, client);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients.Values)
            await client.DisposeAsync();
        _clients.Clear();
    }
}
