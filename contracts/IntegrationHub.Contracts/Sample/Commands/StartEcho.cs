namespace IntegrationHub.Contracts.Sample.Commands;

/// <summary>
/// Starts the sample conversation: the Sample endpoint asks its (simulated) provider to echo <paramref name="Text"/>
/// and replies with <see cref="Replies.EchoResult"/> when the answer arrives or <paramref name="Timeout"/> passes.
/// Text "silent" makes the provider never answer, to show the timeout path.
/// </summary>
public sealed record StartEcho(string RequestId, string Text, TimeSpan Timeout);
