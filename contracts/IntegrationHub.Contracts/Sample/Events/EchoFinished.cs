namespace IntegrationHub.Contracts.Sample.Events;

/// <summary>Published when a sample conversation ends, whichever way it ended.</summary>
public sealed record EchoFinished(string RequestId, string Status);
