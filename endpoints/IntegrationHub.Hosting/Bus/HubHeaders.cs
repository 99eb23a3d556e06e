namespace IntegrationHub.Hosting.Bus;

/// <summary>Headers the hub adds to every message, readable by operators in the RabbitMQ management UI.</summary>
public static class HubHeaders
{
    public const string Tenant = "hub-tenant";
    public const string CausationId = "hub-causation-id";
    public const string SendingEndpoint = "hub-sending-endpoint";

    public const string DelayedRetries = "hub-delayed-retries";
    public const string ErrorPrefix = "hub-error-";
    public const string ErrorType = "hub-error-type";
    public const string ErrorMessage = "hub-error-message";
    public const string ErrorAttempts = "hub-error-attempts";
    public const string ErrorFailedAt = "hub-error-failed-at";

    /// <summary>
    /// Headers that recoverability adds (Rebus's error details and source queue, the hub's error headers and the
    /// delayed-retry count); they are removed when an operator returns a message to its source queue.
    /// </summary>
    public static bool IsErrorHeader(string name) =>
        name == Rebus.Messages.Headers.ErrorDetails
        || name == Rebus.Messages.Headers.SourceQueue
        || name == DelayedRetries
        || name.StartsWith(ErrorPrefix, StringComparison.Ordinal);
}
