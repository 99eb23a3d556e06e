namespace IntegrationHub.Hosting.Bus;

/// <summary>Headers the hub adds to every message, readable by operators in the RabbitMQ management UI.</summary>
public static class HubHeaders
{
    public const string Tenant = "hub-tenant";
    public const string CausationId = "hub-causation-id";
    public const string SendingEndpoint = "hub-sending-endpoint";

    public const string DelayedRetries = "hub-delayed-retries";
    public const string ErrorType = "hub-error-type";
    public const string ErrorMessage = "hub-error-message";
    public const string ErrorAttempts = "hub-error-attempts";
    public const string ErrorFailedAt = "hub-error-failed-at";
}
