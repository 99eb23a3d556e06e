using Rebus.Exceptions;

namespace IntegrationHub.Hosting.Recoverability;

/// <summary>A message that cannot be read will never be read: it goes straight to the error queue, no retries.</summary>
public sealed class MessageDeserializationException(string message, Exception inner)
    : Exception(message, inner), IFailFastException;
