namespace IntegrationHub.Ctl;

/// <summary>
/// An expected failure (broker unreachable, queue missing, bad input). The CLI prints
/// <see cref="Exception.Message"/> without a stack trace and exits with <see cref="ExitCode"/>.
/// </summary>
public sealed class HubCtlException(string message, int exitCode = ExitCodes.Unavailable, Exception? inner = null)
    : Exception(message, inner)
{
    public int ExitCode { get; } = exitCode;
}

public static class ExitCodes
{
    /// <summary>Everything requested was done.</summary>
    public const int Ok = 0;

    /// <summary>The command ran but some of the work could not be done (unknown id, message not moved) or the arguments were invalid.</summary>
    public const int Failed = 1;

    /// <summary>The broker or the error queue could not be used at all.</summary>
    public const int Unavailable = 2;
}
