using System.Reflection;
using IntegrationHub.Testing;
using IntegrationHub.Transport.RabbitMq.Internals;
using RabbitMQ.Client;
using Rebus.Logging;

namespace IntegrationHub.Transport.RabbitMq.Tests.Internals;

/// <summary>
/// The ack frames <see cref="DeliveryAcks"/> writes, recorded on a stand-in channel: the broker-level tests
/// (<c>AckTests</c>) show what a user sees, these pin down which frames carry it.
/// </summary>
public sealed class DeliveryAcksTests
{
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Acks_handed_over_while_a_write_is_on_its_way_go_out_as_one_multiple_ack()
    {
        var channel = RecordingChannel.Create(gated: true);
        var acks = new DeliveryAcks((IChannel)channel, firstTag: 1, new NullLoggerFactory().GetLogger<DeliveryAcksTests>(), "q");

        acks.Ack(1);
        await channel.WaitForFrames(1);       // ack 1 is being written (held at the gate)
        for (ulong tag = 2; tag <= 6; tag++) acks.Ack(tag);
        channel.OpenGate();
        await acks.DrainAsync().WaitAsync(Timeout);

        Assert.Equal([Frame.Ack(1, multiple: true), Frame.Ack(6, multiple: true)], channel.Frames);
    }

    [Fact]
    public async Task An_unsettled_delivery_never_delays_the_acks_after_it_nor_is_covered_by_them()
    {
        var channel = RecordingChannel.Create();
        var acks = new DeliveryAcks((IChannel)channel, firstTag: 1, new NullLoggerFactory().GetLogger<DeliveryAcksTests>(), "q");

        for (ulong tag = 2; tag <= 4; tag++) acks.Ack(tag);
        await acks.DrainAsync().WaitAsync(Timeout);
        Assert.Equal([Frame.Ack(2), Frame.Ack(3), Frame.Ack(4)], channel.Frames.OrderBy(f => f.Tag));

        acks.Ack(1);
        await acks.DrainAsync().WaitAsync(Timeout);
        Assert.Equal(Frame.Ack(1, multiple: true), channel.Frames[^1]);
    }

    [Fact]
    public async Task After_a_connection_recovery_tags_are_counted_from_the_first_delivery()
    {
        var channel = RecordingChannel.Create(gated: true);
        var acks = new DeliveryAcks((IChannel)channel, firstTag: 1_001, new NullLoggerFactory().GetLogger<DeliveryAcksTests>(), "q");

        acks.Ack(1_001);
        await channel.WaitForFrames(1);
        acks.Ack(1_002);
        acks.Ack(1_003);
        channel.OpenGate();
        await acks.DrainAsync().WaitAsync(Timeout);

        Assert.Equal([Frame.Ack(1_001, multiple: true), Frame.Ack(1_003, multiple: true)], channel.Frames);
    }

    [Fact]
    public async Task DrainAsync_completes_only_when_every_ack_handed_over_is_written()
    {
        var channel = RecordingChannel.Create(gated: true);
        var acks = new DeliveryAcks((IChannel)channel, firstTag: 1, new NullLoggerFactory().GetLogger<DeliveryAcksTests>(), "q");

        acks.Ack(1);
        await channel.WaitForFrames(1);
        acks.Ack(2);
        var drain = acks.DrainAsync();
        Assert.False(drain.IsCompleted, "the drain waits while an ack is held at the gate");

        channel.OpenGate();
        await drain.WaitAsync(Timeout);
        Assert.Equal(2ul, channel.Frames.Max(f => f.Tag));
    }

    /// <summary>
    /// A model check over random orders: deliveries settled (acked or nacked) in random order, with writes held back at
    /// random, never produce a frame the broker would refuse (unknown or already settled tag) or one that settles a
    /// delivery its handler has not finished or has rolled back; and in the end every delivery is settled at the broker.
    /// </summary>
    [Fact]
    public async Task In_any_order_every_frame_is_one_the_broker_accepts_and_every_delivery_ends_settled()
    {
        for (var seed = 0; seed < 200; seed++)
        {
            var random = new Random(seed);
            const int count = 40;
            var channel = RecordingChannel.Create();
            channel.Delay = () => random.Next(4) == 0;
            channel.Broker.Deliver(1, count);
            var acks = new DeliveryAcks((IChannel)channel, firstTag: 1, new NullLoggerFactory().GetLogger<DeliveryAcksTests>(), "q");

            foreach (var tag in Enumerable.Range(1, count).Select(t => (ulong)t).OrderBy(_ => random.Next()))
            {
                if (random.Next(8) == 0)
                {
                    channel.Broker.RolledBack(tag);
                    await acks.NackAsync(tag);
                }
                else
                {
                    channel.Broker.Handled(tag);
                    acks.Ack(tag);
                }
            }
            await acks.DrainAsync().WaitAsync(Timeout);

            Assert.True(channel.Broker.Violations.Count == 0, $"seed {seed}: " + string.Join("; ", channel.Broker.Violations));
            Assert.True(channel.Broker.Outstanding.Count == 0, $"seed {seed}: still unsettled at the broker: {string.Join(",", channel.Broker.Outstanding)}");
        }
    }

    public sealed record Frame(string Kind, ulong Tag, bool Multiple)
    {
        public static Frame Ack(ulong tag, bool multiple = false) => new("ack", tag, multiple);
    }

    /// <summary>What the broker knows of one channel's deliveries, and what the handlers decided; checks every frame.</summary>
    public sealed class BrokerModel
    {
        readonly HashSet<ulong> _handled = new();
        readonly HashSet<ulong> _rolledBack = new();
        bool _delivered;

        public SortedSet<ulong> Outstanding { get; } = new();
        public List<string> Violations { get; } = new();

        public void Deliver(ulong first, int count)
        {
            lock (this)
            {
                _delivered = true;
                for (var tag = first; tag < first + (ulong)count; tag++) Outstanding.Add(tag);
            }
        }

        public void Handled(ulong tag) { lock (this) _handled.Add(tag); }

        public void RolledBack(ulong tag) { lock (this) _rolledBack.Add(tag); }

        public void Apply(Frame frame)
        {
            lock (this)
            {
                if (!_delivered) return;   // tests that only look at the frames model no deliveries
                if (!Outstanding.Contains(frame.Tag)) Violations.Add($"{frame}: tag not outstanding (the broker closes the channel)");
                var settles = frame.Multiple ? Outstanding.Where(t => t <= frame.Tag).ToList() : [frame.Tag];
                var allowed = frame.Kind == "ack" ? _handled : _rolledBack;
                foreach (var tag in settles)
                {
                    if (!allowed.Contains(tag)) Violations.Add($"{frame} settles delivery {tag}, which its handler did not {(frame.Kind == "ack" ? "finish" : "roll back")}");
                    Outstanding.Remove(tag);
                }
            }
        }
    }

    /// <summary>An <see cref="IChannel"/> that records ack and nack frames (and applies them to <see cref="Broker"/>).</summary>
    public class RecordingChannel : DispatchProxy
    {
        readonly List<Frame> _frames = new();
        readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        bool _gated;

        public BrokerModel Broker { get; } = new();
        public Func<bool> Delay { get; set; } = () => false;

        public List<Frame> Frames
        {
            get { lock (_frames) return [.. _frames]; }
        }

        public static RecordingChannel Create(bool gated = false)
        {
            var channel = (RecordingChannel)(object)Create<IChannel, RecordingChannel>();
            channel._gated = gated;
            return channel;
        }

        public void OpenGate() => _gate.TrySetResult();

        public Task WaitForFrames(int count) =>
            Eventually.Until(() => Frames.Count >= count, Timeout, $"{count} frame(s) written");

        protected override object? Invoke(MethodInfo? method, object?[]? args) => method?.Name switch
        {
            nameof(IChannel.BasicAckAsync) => Record(new Frame("ack", (ulong)args![0]!, (bool)args[1]!)),
            nameof(IChannel.BasicNackAsync) => Record(new Frame("nack", (ulong)args![0]!, (bool)args[1]!)),
            _ => method!.ReturnType.IsValueType && method.ReturnType != typeof(void) ? Activator.CreateInstance(method.ReturnType) : null,
        };

        ValueTask Record(Frame frame)
        {
            lock (_frames)
            {
                Broker.Apply(frame);
                _frames.Add(frame);
            }
            if (_gated && !_gate.Task.IsCompleted) return new ValueTask(_gate.Task);
            return Delay() ? new ValueTask(YieldOnce()) : ValueTask.CompletedTask;
        }

        static async Task YieldOnce() => await Task.Yield();
    }
}
