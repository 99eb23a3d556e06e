using IntegrationHub.Adapters;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.Testing.Adapters;

/// <summary>How a call that reached its system ended (failures are <see cref="ExternalSystemException"/>s).</summary>
public enum CallOutcome { Succeeded, Refused }

/// <summary>The resilience settings a test gives the adapter under test.</summary>
public sealed record AdapterResilience(TimeSpan CallTimeout, int MaxAttempts, int BreakerMinimumThroughput, TimeSpan BreakerBreakDuration);

/// <summary>The adapter under test, as the contract drives it.</summary>
public interface IAdapterUnderTest : IDisposable
{
    /// <summary>One call, carrying <paramref name="idempotencyKey"/> and, in its payload, <paramref name="personalData"/>.</summary>
    Task<CallOutcome> Call(string idempotencyKey, string personalData, CancellationToken cancellationToken = default);

    /// <summary>A call whose input the system could never accept (e.g. a payload that is not JSON).</summary>
    Task<CallOutcome> CallWithInvalidInput(CancellationToken cancellationToken = default);
}

/// <summary>The adapter's simulator (built from the system's documented contract), as the contract drives it.</summary>
public interface IAdapterSimulator
{
    /// <summary>Accepts every call from now on, as the system does when all is well.</summary>
    void Accepts();

    /// <summary>Answers every call with <paramref name="status"/> (an HTTP status, or the system's equivalent).</summary>
    void Answers(int status);

    /// <summary>Fails the next <paramref name="times"/> calls with <paramref name="status"/>, then accepts again.</summary>
    void FailsNext(int times, int status);

    /// <summary>Receives calls and never answers them.</summary>
    void Hangs();

    /// <summary>Calls that reached the simulator.</summary>
    int Calls { get; }

    /// <summary>The idempotency key of every accepted call, in order.</summary>
    IReadOnlyList<string?> IdempotencyKeys { get; }

    /// <summary>
    /// The idempotency key of every call that reached the simulator, in order of arrival: each attempt of a call, whatever
    /// its answer (failed, refused, held too). Null for a call without one.
    /// </summary>
    IReadOnlyList<string?> IdempotencyKeysOfEveryCall { get; }
}

/// <summary>
/// What every adapter of an external system promises, run by each adapter against its simulator: timeouts honoured,
/// retries only on retryable failures, a circuit that opens and closes again, failures mapped to the hub's
/// <see cref="ExternalFailure"/> kinds, the idempotency key sent, and no personal data in its logs or errors.
/// </summary>
public abstract class ExternalAdapterContract : IDisposable
{
    const string PersonalData = "CNIC 35202-1234567-9 Ayesha Siddiqui";
    static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    readonly List<IAdapterUnderTest> _adapters = [];

    protected RecordingLoggerProvider Logs { get; } = new();

    protected abstract IAdapterSimulator Simulator { get; }

    /// <summary>A new adapter instance (its own circuit breaker) with these settings, logging to <paramref name="logs"/>.</summary>
    protected abstract IAdapterUnderTest CreateAdapter(AdapterResilience resilience, ILoggerFactory logs);

    static readonly AdapterResilience Patient = new(TimeSpan.FromSeconds(10), MaxAttempts: 3, BreakerMinimumThroughput: 1000, BreakerBreakDuration: TimeSpan.FromSeconds(30));

    IAdapterUnderTest Adapter(AdapterResilience? resilience = null)
    {
        var adapter = CreateAdapter(resilience ?? Patient, LoggerFactory.Create(b => b.AddProvider(Logs).SetMinimumLevel(LogLevel.Trace)));
        _adapters.Add(adapter);
        return adapter;
    }

    [Fact]
    public async Task Call_that_gets_no_answer_ends_at_its_timeout_as_timed_out()
    {
        Simulator.Hangs();
        var adapter = Adapter(Patient with { CallTimeout = TimeSpan.FromMilliseconds(300), MaxAttempts = 1 });

        var failure = await Assert.ThrowsAnyAsync<ExternalSystemException>(() => adapter.Call("key-timeout", PersonalData).WaitAsync(Patience));

        Assert.Equal(ExternalFailure.TimedOut, failure.Kind);
        Assert.True(failure.Retryable);
    }

    [Fact]
    public async Task Transient_failures_are_retried_until_the_call_goes_through()
    {
        Simulator.FailsNext(2, 503);
        var adapter = Adapter();

        Assert.Equal(CallOutcome.Succeeded, await adapter.Call("key-transient", PersonalData));
        Assert.Equal(3, Simulator.Calls);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(404)]
    [InlineData(422)]
    public async Task Refusal_is_not_retried(int status)
    {
        Simulator.Answers(status);
        var adapter = Adapter();

        Assert.Equal(CallOutcome.Refused, await adapter.Call("key-refused", PersonalData));
        Assert.Equal(1, Simulator.Calls);
    }

    [Fact]
    public async Task Failures_map_to_the_hubs_kinds()
    {
        var adapter = Adapter(Patient with { MaxAttempts = 1 });

        Simulator.Answers(503);
        Assert.Equal(ExternalFailure.Unavailable, (await Assert.ThrowsAnyAsync<ExternalSystemException>(() => adapter.Call("k1", PersonalData))).Kind);
        Simulator.Answers(401);
        var unauthorized = await Assert.ThrowsAnyAsync<ExternalSystemException>(() => adapter.Call("k2", PersonalData));
        Assert.Equal((ExternalFailure.Unauthorized, false), (unauthorized.Kind, unauthorized.Retryable));
        Simulator.Accepts();
        var invalid = await Assert.ThrowsAnyAsync<ExternalSystemException>(() => adapter.CallWithInvalidInput());
        Assert.Equal((ExternalFailure.Invalid, false), (invalid.Kind, invalid.Retryable));
    }

    [Fact]
    public async Task Circuit_opens_after_repeated_failures_and_closes_once_the_system_is_back()
    {
        Simulator.Answers(503);
        var adapter = Adapter(Patient with { MaxAttempts = 1, BreakerMinimumThroughput = 2, BreakerBreakDuration = TimeSpan.FromSeconds(1) });

        ExternalSystemException? failure = null;
        for (var call = 0; call < 10 && failure?.Kind != ExternalFailure.CircuitOpen; call++)
            failure = await Assert.ThrowsAnyAsync<ExternalSystemException>(() => adapter.Call($"k{call}", PersonalData));
        Assert.Equal(ExternalFailure.CircuitOpen, failure!.Kind);
        var callsWhenOpen = Simulator.Calls;
        await Assert.ThrowsAnyAsync<ExternalSystemException>(() => adapter.Call("while-open", PersonalData));
        Assert.Equal(callsWhenOpen, Simulator.Calls); // an open circuit does not call the system

        Simulator.Accepts();
        await Eventually.Until(async () =>
        {
            try
            {
                return await adapter.Call("after", PersonalData) == CallOutcome.Succeeded;
            }
            catch (ExternalSystemException e) when (e.Kind == ExternalFailure.CircuitOpen)
            {
                return false;
            }
        }, Patience, "the circuit closes after its break and the call goes through");
    }

    [Fact]
    public async Task Idempotency_key_is_sent_with_every_attempt_of_a_call()
    {
        Simulator.FailsNext(2, 503);
        var adapter = Adapter();

        Assert.Equal(CallOutcome.Succeeded, await adapter.Call("key-once", PersonalData)); // two failed attempts, then the third goes through
        Assert.Equal(CallOutcome.Succeeded, await adapter.Call("key-once", PersonalData));
        Assert.Equal(CallOutcome.Succeeded, await adapter.Call("key-other", PersonalData));

        Assert.Equal(["key-once", "key-once", "key-once", "key-once", "key-other"], Simulator.IdempotencyKeysOfEveryCall);
        Assert.Equal(["key-once", "key-once", "key-other"], Simulator.IdempotencyKeys);
    }

    [Fact]
    public async Task Personal_data_never_reaches_logs_or_error_messages()
    {
        // The patient circuit stays closed, so that every case below reaches the system (an open one would answer for it).
        var adapter = Adapter(Patient with { CallTimeout = TimeSpan.FromMilliseconds(300), MaxAttempts = 2 });
        var errors = new List<string>();
        foreach (var (name, arrange) in new (string, Action)[]
                 {
                     ("fails once", () => Simulator.FailsNext(1, 503)), ("unavailable", () => Simulator.Answers(503)),
                     ("refuses", () => Simulator.Answers(422)), ("unauthorized", () => Simulator.Answers(401)), ("hangs", Simulator.Hangs),
                 })
        {
            arrange();
            var callsBefore = Simulator.IdempotencyKeysOfEveryCall.Count;
            try
            {
                await adapter.Call("key-private", PersonalData).WaitAsync(Patience);
            }
            catch (ExternalSystemException e)
            {
                Assert.True(e.Kind != ExternalFailure.CircuitOpen, $"the '{name}' case met an open circuit: {e.Message}");
                errors.Add(e.ToString());
            }
            Assert.True(Simulator.IdempotencyKeysOfEveryCall.Count > callsBefore, $"the '{name}' case never reached the simulator");
        }

        Assert.NotEmpty(Logs.Messages);
        Assert.DoesNotContain(Logs.Messages, m => m.Contains("35202", StringComparison.Ordinal) || m.Contains("Ayesha", StringComparison.Ordinal));
        Assert.DoesNotContain(errors, m => m.Contains("35202", StringComparison.Ordinal) || m.Contains("Ayesha", StringComparison.Ordinal));
    }

    public virtual void Dispose()
    {
        foreach (var adapter in _adapters) adapter.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>Keeps every log line (message and exception) written through it.</summary>
public sealed class RecordingLoggerProvider : ILoggerProvider
{
    readonly System.Collections.Concurrent.ConcurrentQueue<string> _messages = new();

    public IReadOnlyList<string> Messages => _messages.ToList();

    public ILogger CreateLogger(string categoryName) => new Logger(_messages);

    public void Dispose()
    {
    }

    sealed class Logger(System.Collections.Concurrent.ConcurrentQueue<string> messages) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            messages.Enqueue(formatter(state, exception) + (exception is null ? "" : " " + exception));
    }
}
