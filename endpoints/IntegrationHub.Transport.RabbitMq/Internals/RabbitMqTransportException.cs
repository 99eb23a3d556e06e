namespace IntegrationHub.Transport.RabbitMq.Internals;

/// <summary>A failure of the RabbitMQ transport with an operator-readable message.</summary>
internal sealed class RabbitMqTransportException : Exception
{
    public RabbitMqTransportException(string message, Exception? inner = null) : base(message, inner) { }
}
