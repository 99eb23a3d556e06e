namespace IntegrationHub.Contracts.Sample.Replies;

/// <summary>Status is "completed" (with the provider's <paramref name="Echo"/>) or "timed-out".</summary>
public sealed record EchoResult(string RequestId, string Status, string? Echo);
