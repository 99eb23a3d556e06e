using System.Collections.Concurrent;
using Rebus.Handlers;
using Rebus.Pipeline;

namespace IntegrationHub.Testing;

public sealed record Received(object Message, IReadOnlyDictionary<string, string> Headers);

/// <summary>Collects what test endpoints receive, and waits (bounded) for what a test expects.</summary>
public sealed class MessageRecorder
{
    readonly ConcurrentQueue<Received> _received = new();
    readonly SemaphoreSlim _signal = new(0);

    public IReadOnlyList<Received> All => _received.ToList();

    public IReadOnlyList<T> OfType<T>() => _received.Select(r => r.Message).OfType<T>().ToList();

    public void Record(object message, IReadOnlyDictionary<string, string> headers)
    {
        _received.Enqueue(new Received(message, headers));
        _signal.Release();
    }

    public async Task<Received> WaitFor<T>(Func<T, bool>? predicate = null, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var match = _received.FirstOrDefault(r => r.Message is T m && (predicate?.Invoke(m) ?? true));
            if (match is not null) return match;
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
                throw new TimeoutException($"No {typeof(T).Name} matching the condition arrived in time; received: " +
                                           string.Join(", ", _received.Select(r => r.Message.GetType().Name)));
            await _signal.WaitAsync(left < TimeSpan.FromMilliseconds(250) ? left : TimeSpan.FromMilliseconds(250));
        }
    }
}

/// <summary>A handler that records every <typeparamref name="T"/> with its headers.</summary>
public sealed class RecordingHandler<T>(MessageRecorder recorder, IMessageContext context) : IHandleMessages<T>
{
    public Task Handle(T message)
    {
        recorder.Record(message!, new Dictionary<string, string>(context.Headers));
        return Task.CompletedTask;
    }
}
