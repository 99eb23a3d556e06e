namespace IntegrationHub.Adapters.Hl7v2;

/// <summary>
/// What a parse gave. <see cref="Message"/> is null only when no MSH could be read (the connection is then closed
/// without an ACK); when it is set but <see cref="Problems"/> is not empty the message is rejected (AR/CR) and only
/// its header is to be trusted.
/// </summary>
public sealed record Hl7ParseResult(Hl7Message? Message, IReadOnlyList<Hl7Problem> Problems)
{
    public bool Succeeded => Message is not null && Problems.Count == 0;
}
