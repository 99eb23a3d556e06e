using Rebus.Workers.ThreadPoolBased;

namespace IntegrationHub.Hosting.Bus;

/// <summary>
/// How a Rebus worker waits. Rebus's default sleeps 100 ms and more whenever every handler slot is busy, so a message
/// that arrives just then waits that long although a slot frees within milliseconds: with as many conversations in
/// flight as the endpoint's parallelism, that sleep was most of a saga step's latency. Here a worker without a free
/// slot looks again after 1 ms (it only spins while the endpoint is busy); with no message it backs off from 1 ms
/// to 250 ms as the idle time grows (the RabbitMQ transport already waits for a delivery inside its receive, the
/// in-memory one does not); after a receive error it waits 1 s.
/// </summary>
internal sealed class HubBackoffStrategy : IBackoffStrategy
{
    static readonly TimeSpan Busy = TimeSpan.FromMilliseconds(1);
    static readonly TimeSpan Error = TimeSpan.FromSeconds(1);

    int _emptyReceives;

    public void Wait(CancellationToken token) => Sleep(Busy, token);

    public Task WaitAsync(CancellationToken token) => Delay(Busy, token);

    public void WaitNoMessage(CancellationToken token) => Sleep(Idle(), token);

    public Task WaitNoMessageAsync(CancellationToken token) => Delay(Idle(), token);

    public void WaitError(CancellationToken token) => Sleep(Error, token);

    public Task WaitErrorAsync(CancellationToken token) => Delay(Error, token);

    public void Reset() => Volatile.Write(ref _emptyReceives, 0);

    /// <summary>1 ms for the first 10 empty receives in a row, then 10 ms up to 100, 100 ms up to 200, then 250 ms.</summary>
    TimeSpan Idle() => Interlocked.Increment(ref _emptyReceives) switch
    {
        <= 10 => TimeSpan.FromMilliseconds(1),
        <= 100 => TimeSpan.FromMilliseconds(10),
        <= 200 => TimeSpan.FromMilliseconds(100),
        _ => TimeSpan.FromMilliseconds(250),
    };

    static void Sleep(TimeSpan time, CancellationToken token) => token.WaitHandle.WaitOne(time);

    static async Task Delay(TimeSpan time, CancellationToken token)
    {
        try
        {
            await Task.Delay(time, token);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
