using System.Collections.Concurrent;
using RabbitMQ.Client;
using Rebus.Logging;

namespace IntegrationHub.Transport.RabbitMq.Internals;

/// <summary>Pool of publisher-confirm channels. A channel is rented by one commit at a time.</summary>
internal sealed class PublisherChannelPool : IAsyncDisposable
{
    static readonly CreateChannelOptions ConfirmOptions = new(
        publisherConfirmationsEnabled: true,
        publisherConfirmationTrackingEnabled: true);

    readonly ConcurrentBag<IChannel> _idle = new();
    readonly ILog _log;
    readonly int _maxIdle = Math.Max(8, Environment.ProcessorCount * 4);
    volatile bool _disposed;

    public PublisherChannelPool(ILog log) => _log = log;

    public async Task<IChannel> RentAsync(IConnection connection, CancellationToken cancellationToken)
    {
        while (_idle.TryTake(out var channel))
        {
            if (channel.IsOpen) return channel;
            Discard(channel);
        }
        return await connection.CreateChannelAsync(ConfirmOptions, cancellationToken).ConfigureAwait(false);
    }

    public void Return(IChannel channel)
    {
        if (!_disposed && channel.IsOpen && _idle.Count < _maxIdle)
        {
            _idle.Add(channel);
            return;
        }
        Discard(channel);
    }

    void Discard(IChannel channel)
    {
        _ = Task.Run(async () =>
        {
            try
            {
                if (channel.IsOpen) await channel.CloseAsync().ConfigureAwait(false);
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
        while (_idle.TryTake(out var channel))
        {
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
