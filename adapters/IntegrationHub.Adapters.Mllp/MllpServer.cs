using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using IntegrationHub.Adapters.Mllp.Internals;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.Adapters.Mllp;

/// <summary>
/// An MLLP listener (README of this folder): connections at once up to a limit, the frames of one connection handled
/// in order (the next is read once the reply is written), idle and frame timeouts, a frame size limit, optional TLS.
/// Whatever a peer sends — garbage, a frame that never ends, a connection dropped mid-frame — closes that connection
/// only, with one log line that names the connection and never the message's content.
/// </summary>
public sealed class MllpServer : IAsyncDisposable
{
    static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(10);

    readonly string _listener;
    readonly MllpServerOptions _options;
    readonly IMllpHandler _handler;
    readonly ILogger _logger;
    readonly TcpListener _tcp;
    readonly CancellationTokenSource _stopReading = new();
    readonly CancellationTokenSource _abortHandlers = new();
    readonly ConcurrentDictionary<long, Task> _connections = new();
    readonly Task _accepting;
    long _nextId;
    long _frames;
    int _open;
    int _disposed;

    MllpServer(string listener, MllpServerOptions options, IMllpHandler handler, ILogger logger)
    {
        _listener = listener;
        _options = options;
        _handler = handler;
        _logger = logger;
        _tcp = new TcpListener(options.Address, options.Port);
        _tcp.Start(backlog: Math.Max(128, options.MaxConnections));
        Port = ((IPEndPoint)_tcp.LocalEndpoint).Port;
        _accepting = Task.Run(Accept);
    }

    /// <summary>Starts listening (a port in use throws <see cref="SocketException"/> here).</summary>
    public static MllpServer Start(string listener, MllpServerOptions options, IMllpHandler handler, ILogger logger) =>
        new(listener, options, handler, logger);

    public int Port { get; }

    public int OpenConnections => Volatile.Read(ref _open);

    public long FramesReceived => Interlocked.Read(ref _frames);

    async Task Accept()
    {
        while (!_stopReading.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _tcp.AcceptSocketAsync(_stopReading.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException || _stopReading.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException e)
            {
                // Out of file descriptors and the like: wait a little rather than spin.
                _logger.LogWarning("MLLP {Listener}: accepting a connection failed: {Error}", _listener, e.SocketErrorCode);
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(100), _stopReading.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                continue;
            }

            var id = Interlocked.Increment(ref _nextId);
            if (Interlocked.Increment(ref _open) > _options.MaxConnections)
            {
                Interlocked.Decrement(ref _open);
                _logger.LogWarning("MLLP {Listener}#{Connection} from {Remote} closed: {Max} connections are open already",
                    _listener, id, socket.RemoteEndPoint, _options.MaxConnections);
                socket.Close(0);
                continue;
            }
            var serving = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _connections[id] = serving.Task;
            _ = Task.Run(async () =>
            {
                try
                {
                    await Serve(id, socket);
                }
                finally
                {
                    Interlocked.Decrement(ref _open);
                    _connections.TryRemove(id, out _);
                    serving.TrySetResult();
                }
            });
        }
    }

    async Task Serve(long id, Socket socket)
    {
        var connection = new MllpConnection(id, _listener, null);
        Stream? stream = null;
        string? closedBecause = null;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopReading.Token);
        try
        {
            connection = new MllpConnection(id, _listener, socket.RemoteEndPoint);
            socket.NoDelay = true;
            stream = new NetworkStream(socket, ownsSocket: true);
            if (_options.Certificate is { } certificate)
                stream = await Authenticate(stream, certificate, connection, timeout);
            using var reader = new MllpFrameReader(stream, _options.MaxFrameBytes);
            while (closedBecause is null)
            {
                timeout.CancelAfter(_options.IdleTimeout);
                var read = await reader.Read(() => timeout.CancelAfter(_options.FrameTimeout), timeout.Token);
                timeout.CancelAfter(Timeout.InfiniteTimeSpan);
                MllpReply reply;
                switch (read.Kind)
                {
                    case MllpReadKind.Frame:
                        Interlocked.Increment(ref _frames);
                        reply = await _handler.Handle(connection, read.Frame, _abortHandlers.Token);
                        reader.Release();
                        break;
                    case MllpReadKind.TooLarge:
                        reply = await _handler.Oversized(connection, read.Frame, _abortHandlers.Token);
                        closedBecause = $"a frame over {_options.MaxFrameBytes} bytes";
                        break;
                    case MllpReadKind.End:
                        return;
                    case MllpReadKind.Garbage:
                        closedBecause = "bytes outside a frame (not 0x0B … 0x1C 0x0D)";
                        continue;
                    default:
                        closedBecause = "the connection ended in the middle of a frame";
                        continue;
                }
                if (reply.Bytes is { } bytes)
                {
                    await stream.WriteAsync(MllpFrameReader.Frame(bytes), _abortHandlers.Token);
                    await stream.FlushAsync(_abortHandlers.Token);
                }
                if (reply.Close) closedBecause ??= "the handler closed it";
            }
        }
        catch (OperationCanceledException) when (_stopReading.IsCancellationRequested)
        {
            closedBecause = "the listener stopped";
        }
        catch (OperationCanceledException)
        {
            closedBecause = "timed out (idle, or a frame or handshake not finished in time)";
        }
        catch (Exception e) when (e is IOException or SocketException or AuthenticationException or ObjectDisposedException)
        {
            closedBecause = $"the connection failed ({e.GetType().Name}: {e.Message})";
        }
        catch (Exception e)
        {
            _logger.LogError(e, "MLLP {Connection}: the handler failed; the connection is closed without an answer", connection);
        }
        finally
        {
            if (stream is not null) await stream.DisposeAsync();
            else socket.Dispose();
            if (closedBecause is not null)
                _logger.LogInformation("MLLP {Connection} closed: {Reason}", connection, closedBecause);
        }
    }

    async Task<Stream> Authenticate(Stream stream, X509Certificate2 certificate, MllpConnection connection, CancellationTokenSource timeout)
    {
        var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
        timeout.CancelAfter(_options.FrameTimeout);
        await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
        {
            ServerCertificate = certificate,
            ClientCertificateRequired = _options.RequireClientCertificate,
            RemoteCertificateValidationCallback = (_, presented, chain, errors) =>
            {
                if (presented is null) return !_options.RequireClientCertificate;
                var client = presented as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
                return _options.ValidateClientCertificate?.Invoke(client, chain, errors) ?? errors == SslPolicyErrors.None;
            },
        }, timeout.Token);
        timeout.CancelAfter(Timeout.InfiniteTimeSpan);
        if (ssl.RemoteCertificate is { } remote)
            connection.ClientCertificate = remote as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(remote.GetRawCertData());
        return ssl;
    }

    /// <summary>Stops accepting and reading; frames being handled finish (for a while), then every connection is closed.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _stopReading.Cancel();
        _tcp.Stop();
        await _accepting;
        try
        {
            await Task.WhenAll(_connections.Values).WaitAsync(StopGrace);
        }
        catch (TimeoutException)
        {
            _logger.LogWarning("MLLP {Listener}: handlers still running after {Grace}; cancelling them", _listener, StopGrace);
            _abortHandlers.Cancel();
            await Task.WhenAll(_connections.Values);
        }
        _stopReading.Dispose();
        _abortHandlers.Dispose();
    }
}
