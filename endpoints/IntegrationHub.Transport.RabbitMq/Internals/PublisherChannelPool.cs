using RabbitMQ.Client;
using Rebus.Logging;

namespace IntegrationHub.Transport.RabbitMq.Internals;

/// <summary>
/// A small set of publisher-confirm channels shared by all concurrent commits (RabbitMQ.Client 7 channels accept
/// concurrent publishes; sharing lets the broker confirm many messages per round trip with <c>multiple</c> acks).
/// Closed channels (e.g. after a channel-level error) are replaced on the next rent.
/// </summary>
internal sealed class PublisherChannelPool : IAsyncDisposable
{
    static readonly CreateChannelOptions ConfirmOptions = new(
        publisherConfirmationsEnabled: true,
        publisherConfirmationTrackingEnabled: true);

    readonly ILog _log;
    readonly IChannel?[] _channels;
    readonly SemaphoreSlim _createLock = new(1, 1);
    int _next = -1;
    volatile bool _disposed;

    public PublisherChannelPool(ILog log, int size = 2)
    {
        _log = log;
        _channels = new IChannel?[Math.Max(1, size)];
    }

    public async Task<IChannel> RentAsync(IConnection connection, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var index = (int)((uint)Interlocked.Increment(ref _next) % (uint)_channels.Length);
        var channel = Volatile.Read(ref _channels[index]);
        if (channel is { IsOpen: true }) return channel;

        await _createLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            channel = _channels[index];
            if (channel is { IsOpen: true }) return channel;
            if (channel != null) Discard(channel);
            channel = await connection.CreateChannelAsync(ConfirmOptions, cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _channels[index], channel);
            return channel;
        }
        finally
        {
            _createLock.Release();
        }
    }

    public void Return(IChannel channel)
    {
        // channels are shared, nothing to give back; a closed one is replaced by the next RentAsync
    }

    void Discard(IChannel channel)
    {
        _ = Task.Run(async () =>
        {
            try
            {
                await channel.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                _log.Debug("Ignoring error while discarding publisher channel: {message}", exception.Message);
            }
        });
    }

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        for (var i = 0; i < _channels.Length; i++)
        {
            var channel = Interlocked.Exchange(ref _channels[i], null);
            if (channel == null) continue;
            try
            {
                if (channel.IsOpen) await channel.CloseAsync().ConfigureAwait(false);
                await channel.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                _log.Debug("Ignoring error while closing publisher channel: {message}", exception.Message);
            }
        }
    }
}
