using System.Collections.Concurrent;
using IntegrationHub.Adapters.Hl7v2;
using IntegrationHub.Adapters.Mllp;
using IntegrationHub.Contracts.Clinical.Commands;
using IntegrationHub.Clinical.Routes;
using IntegrationHub.Contracts.Clinical.Events;
using Rebus.Bus;
using Rebus.Handlers;

namespace IntegrationHub.Clinical.Hl7v2;

/// <summary>
/// One attempt of an HL7 v2 delivery (<see cref="DeliverHl7v2Message"/>) over MLLP (an external call: no transaction is
/// held while it waits for the ACK). Within the attempt the client resends on AE or no ACK as the destination allows
/// (<c>MaxAttempts</c>, for brief outages); what is still not ACKed ends the attempt as one to make again later, an
/// AR (or a destination that is not the department's) as refused. The delivery's saga (<see cref="ClinicalDeliverySaga"/>)
/// decides what follows, and publishes <see cref="Hl7v2MessageDelivered"/> on AA.
/// </summary>
public sealed class Hl7v2DeliveryHandler(Hl7v2Destinations destinations, IBus bus, TimeProvider time, ILogger<Hl7v2DeliveryHandler> logger)
    : IHandleMessages<AttemptHl7v2Delivery>
{
    public async Task Handle(AttemptHl7v2Delivery attempt)
    {
        var message = attempt.Delivery;
        DeliveryOutcome outcome;
        string detail;
        Hl7v2MessageDelivered? delivered;
        try
        {
            (outcome, detail, delivered) = await Deliver(message, attempt.Attempt);
        }
        catch (Exception e)
        {
            // Every attempt answers its saga: an unexpected fault is one more attempt to make later (its type only: no data).
            logger.LogError(e, "HL7 v2 delivery {DeliveryId} of {Department}, attempt {Attempt}, failed unexpectedly", message.DeliveryId,
                message.Department, attempt.Attempt);
            (outcome, detail, delivered) = (DeliveryOutcome.Retry, $"the attempt failed in the hub ({e.GetType().Name})", null);
        }
        if (delivered is null)
            logger.LogWarning("HL7 v2 delivery {DeliveryId} of {Department}, attempt {Attempt}: {Outcome}: {Why}", message.DeliveryId,
                message.Department, attempt.Attempt, outcome, detail);
        await bus.SendLocal(new DeliveryAttempted(attempt.Key, attempt.Attempt, outcome, detail, Hl7v2: delivered));
    }

    async Task<(DeliveryOutcome Outcome, string Detail, Hl7v2MessageDelivered? Delivered)> Deliver(DeliverHl7v2Message message, int attempt)
    {
        if (destinations.Refusal(message) is { } refusal)
            return (DeliveryOutcome.Refused, refusal, null);
        var (destination, client) = destinations.For(message);
        // Written in the character set MSH-18 declares (8859/1 stays Latin-1 on the wire).
        if (Hl7Parser.Parse(message.Message).Message is not { } parsed)
            return (DeliveryOutcome.Refused, "the message has no MSH segment", null);
        if (parsed.Msh.CharacterSet is "8859/1" or "ASCII")
            parsed = Hl7Parser.Parse(message.Message, encoding: System.Text.Encoding.Latin1).Message!;
        var bytes = Hl7Writer.WriteBytes(parsed);
        var controlId = parsed.Msh.ControlId;
        var delivery = await client.Deliver(bytes, CancellationToken.None);
        if (delivery.Outcome != MllpOutcome.Accepted)
        {
            // The receiver's own texts (MSA-3, ERR) may quote the patient: only codes and places are logged and kept.
            // The system's address is the hub's business: departments read the reason in a webhook.
            var why = delivery.Outcome == MllpOutcome.NoAck
                ? delivery.Detail?.Replace($"{destination.Host}:{destination.Port}", "the system", StringComparison.OrdinalIgnoreCase)
                : ErrorCodes(delivery.Ack);
            var detail = $"{destination.Name}: " +
                         (delivery.Outcome == MllpOutcome.Rejected ? $"rejected ({delivery.AckCode})" : $"{delivery.Outcome} after {delivery.Attempts} send(s)") +
                         (why is { Length: > 0 } ? ": " + why : "");
            return (delivery.Outcome == MllpOutcome.Rejected ? DeliveryOutcome.Refused : DeliveryOutcome.Retry, detail, null);
        }
        logger.LogInformation("HL7 v2 delivery {DeliveryId} to {Destination}: {AckCode} after {Sends} send(s) in attempt {Attempt}",
            message.DeliveryId, destination.Name, delivery.AckCode, delivery.Attempts, attempt);
        var ack = delivery.AckCode ?? "AA";
        return (DeliveryOutcome.Delivered, $"{destination.Name} answered {ack}",
            new Hl7v2MessageDelivered(message.DeliveryId, message.Department, destination.Name, controlId, ack, attempt, time.GetUtcNow()));
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

/// <summary>One MLLP client per destination, reused by every delivery to it (one connection, messages in turn).</summary>
public sealed class Hl7v2Destinations(Hl7v2Options options, ILoggerFactory loggers) : IAsyncDisposable
{
    readonly ConcurrentDictionary<string, MllpClient> _clients = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Why <paramref name="message"/> cannot go where it names; null when it can.</summary>
    public string? Refusal(DeliverHl7v2Message message)
    {
        if (!options.Destinations.TryGetValue(message.Destination, out var destination))
            return $"there is no destination '{message.Destination}' in {Hl7v2Options.SectionName}:Destinations";
        if (destination.Department != Hosting.Departments.DepartmentRegistry.Normalize(message.Department))
            return $"destination '{destination.Name}' does not take department '{message.Department}''s messages";
        return null;
    }

    /// <summary>The destination and its client; call <see cref="Refusal"/> first.</summary>
    public (Hl7v2Destination Destination, MllpClient Client) For(DeliverHl7v2Message message)
    {
        var destination = options.Destinations[message.Destination];
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
