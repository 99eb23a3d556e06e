namespace IntegrationHub.Adapters;

/// <summary>
/// How a call to an external system failed, in the hub's terms: each adapter maps its system's errors to these, and
/// the endpoint decides from the kind alone whether to retry, give up or call an operator.
/// </summary>
public enum ExternalFailure
{
    /// <summary>The system could not be reached or kept failing (connection errors, 5xx, 408, 429): retry later.</summary>
    Unavailable,

    /// <summary>No answer in time: the call may or may not have reached the system; retry with the same idempotency key.</summary>
    TimedOut,

    /// <summary>The adapter stopped calling the system after repeated failures (circuit open): retry after the break.</summary>
    CircuitOpen,

    /// <summary>The system rejected the hub's credentials: retrying cannot help until an operator fixes the configuration.</summary>
    Unauthorized,

    /// <summary>What the hub would send is not valid for the system (e.g. not JSON): retrying cannot help.</summary>
    Invalid,
}

/// <summary>A call to an external system that failed; <see cref="Kind"/> says what retrying can do about it.</summary>
public class ExternalSystemException(string system, ExternalFailure kind, string reason, Exception? inner = null)
    : Exception($"{system}: {Describe(kind)}: {reason}", inner)
{
    public string System { get; } = system;

    public ExternalFailure Kind { get; } = kind;

    /// <summary>True when the same call may succeed later without anyone changing anything.</summary>
    public bool Retryable => Kind is ExternalFailure.Unavailable or ExternalFailure.TimedOut or ExternalFailure.CircuitOpen;

    static string Describe(ExternalFailure kind) => kind switch
    {
        ExternalFailure.Unavailable => "unavailable",
        ExternalFailure.TimedOut => "no answer in time",
        ExternalFailure.CircuitOpen => "not called while its circuit is open",
        ExternalFailure.Unauthorized => "refused the hub's credentials",
        ExternalFailure.Invalid => "the request is not valid for it",
        _ => kind.ToString(),
    };
}
