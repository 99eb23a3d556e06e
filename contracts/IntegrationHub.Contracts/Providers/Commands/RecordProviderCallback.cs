namespace IntegrationHub.Contracts.Providers.Commands;

/// <summary>
/// A provider's verified answer, turned into a message by the callback API. <paramref name="CorrelationId"/> is the
/// id the hub gave the provider (the request id); <paramref name="Status"/> is "completed" or "failed".
/// <paramref name="CallbackId"/> identifies this delivery of the callback, so a duplicate changes nothing.
/// </summary>
public sealed record RecordProviderCallback(
    string CallbackId,
    string Provider,
    string CorrelationId,
    string Status,
    string? Result,
    string? Error,
    DateTimeOffset ReceivedAt);
