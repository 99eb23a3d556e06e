namespace IntegrationHub.Contracts.Providers.Commands;

/// <summary>
/// Sent by the gateway once a department's request is accepted: start the conversation with the provider system
/// that serves <paramref name="Service"/>. <paramref name="Payload"/> is the department's JSON, passed through as is.
/// </summary>
public sealed record ForwardRequest(
    string RequestId,
    string Tenant,
    string Service,
    string Provider,
    string Payload,
    DateTimeOffset AcceptedAt);
