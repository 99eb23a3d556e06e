using RabbitMQ.Client;
using Rebus.Logging;

namespace IntegrationHub.Transport.RabbitMq.Internals;

/// <summary>
/// The acks of one consumer channel (one generation of it), coalesced. Acks handed over while a flush is on its way
/// are sent by the next flush: a run of consecutive delivery tags, all settled, goes to the broker as one
/// <c>basic.ack(multiple)</c>, and each ack that cannot join such a run is sent on its own at once, so no ack ever
/// waits for a slower handler. On a quorum queue every ack frame is a command in the queue's Raft log, so under load
/// this saves the broker most of its ack work (docs/benchmarks.md).
/// </summary>
/// <remarks>
/// <c>basic.ack(multiple)</c> settles every unsettled delivery up to its tag, so a run only covers tags that are all
/// settled here: acked by Rebus, or already sent on their own, or nacked. A nack goes out at once and counts as
/// settled only after it is written, so an ack covering its tag is always written after it.
/// </remarks>
internal sealed class DeliveryAcks
{
    /// <summary>Tags settled above a gap that never closes (a handler that never returns) are tracked up to this many.</summary>
    const int MaxTrackedAboveGap = 8_192;

    readonly IChannel _channel;
    readonly ILog _log;
    readonly string _queue;
    readonly object _lock = new();
    readonly SortedSet<ulong> _pending = new();   // acked by Rebus, not written yet
    readonly SortedSet<ulong> _settled = new();   // above _through: written on their own, or nacked
    ulong _through;                                // every tag up to this one is settled at the broker
    bool _coalescing = true;
    Task _flush = Task.CompletedTask;
    bool _flushing;

    /// <param name="firstTag">The tag of the first delivery on this channel generation (after a connection recovery,
    /// RabbitMQ.Client numbers deliveries on from the old generation's tags).</param>
    public DeliveryAcks(IChannel channel, ulong firstTag, ILog log, string queue)
    {
        _channel = channel;
        _through = firstTag - 1;
        _log = log;
        _queue = queue;
    }

    public IChannel Channel => _channel;

    /// <summary>Hands the ack over; it is written by a flush that starts now or is already running.</summary>
    public void Ack(ulong tag)
    {
        lock (_lock)
        {
            _pending.Add(tag);
            if (_flushing) return;
            _flushing = true;
            _flush = Task.Run(FlushAsync);
        }
    }

    public async Task NackAsync(ulong tag)
    {
        await _channel.BasicNackAsync(tag, multiple: false, requeue: true).ConfigureAwait(false);
        lock (_lock)
        {
            if (tag > _through && _coalescing) _settled.Add(tag);
        }
    }

    /// <summary>Completes when every ack handed over so far is written (before the channel closes on shutdown).</summary>
    public Task DrainAsync()
    {
        lock (_lock) return _flush;
    }

    async Task FlushAsync()
    {
        while (true)
        {
            ulong runTag = 0;
            List<ulong>? alone = null;
            lock (_lock)
            {
                if (_pending.Count == 0)
                {
                    _flushing = false;
                    return;
                }
                if (_coalescing) runTag = TakeRun();
                if (_pending.Count > 0)
                {
                    alone = [.. _pending];
                    _pending.Clear();
                    if (_coalescing) KeepSettled(alone);
                }
            }

            try
            {
                if (runTag != 0) await _channel.BasicAckAsync(runTag, multiple: true).ConfigureAwait(false);
                if (alone != null)
                    foreach (var tag in alone) await _channel.BasicAckAsync(tag, multiple: false).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                _log.Warn("Could not ack deliveries from queue {queue} ({error}); the broker will redeliver them", _queue, exception.Message);
            }
        }
    }

    /// <summary>Moves <see cref="_through"/> over the settled run after it; returns the highest pending tag in it (0: none).</summary>
    ulong TakeRun()
    {
        ulong runTag = 0;
        var next = _through + 1;
        while (true)
        {
            if (_pending.Remove(next)) runTag = next;
            else if (!_settled.Remove(next)) break;
            next++;
        }
        _through = next - 1;
        return runTag;
    }

    void KeepSettled(List<ulong> tags)
    {
        foreach (var tag in tags) _settled.Add(tag);
        if (_settled.Count <= MaxTrackedAboveGap) return;
        // a delivery stays unsettled for very long: stop coalescing on this channel rather than track without bound
        _coalescing = false;
        _settled.Clear();
        _log.Warn("Delivery {tag} from queue {queue} has not been settled while {count} later ones were; acks on this channel are no longer coalesced",
            _through + 1, _queue, MaxTrackedAboveGap);
    }
}
