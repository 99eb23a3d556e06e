using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Rebus.Logging;

namespace IntegrationHub.Transport.RabbitMq.Internals;

/// <summary>
/// One auto-recovering connection per process and connection string, shared by every transport
/// instance (bus) that uses the same connection string, reference-counted through <see cref="ConnectionLease"/>.
/// </summary>
internal sealed class SharedConnection
{
    static readonly Dictionary<string, SharedConnection> Connections = new(StringComparer.Ordinal);
    static readonly object RegistryLock = new();

    readonly string _key;
    readonly string _clientName;
    readonly ILog _log;
    readonly SemaphoreSlim _connectLock = new(1, 1);
    readonly PublisherChannelPool _pool;
    int _refCount;
    IConnection? _connection;
    bool _closed;

    SharedConnection(string connectionString, string clientName, ILog log)
    {
        _key = connectionString;
        _clientName = clientName;
        _log = log;
        _pool = new PublisherChannelPool(log);
        SafeAddress = DescribeWithoutCredentials(connectionString);
    }

    /// <summary>Host, port and vhost of the broker, never the credentials.</summary>
    public string SafeAddress { get; }

    public string ClientName => _clientName;

    public PublisherChannelPool PublisherChannels => _pool;

    /// <summary>Number of live shared connections in this process (for tests and diagnostics).</summary>
    internal static int ActiveCount
    {
        get { lock (RegistryLock) return Connections.Count; }
    }

    internal int ReferenceCount
    {
        get { lock (RegistryLock) return _refCount; }
    }

    public bool IsOpen => _connection is { IsOpen: true };

    public static ConnectionLease Acquire(string connectionString, string clientName, IRebusLoggerFactory loggerFactory)
    {
        lock (RegistryLock)
        {
            if (!Connections.TryGetValue(connectionString, out var shared))
            {
                shared = new SharedConnection(connectionString, clientName, loggerFactory.GetLogger<SharedConnection>());
                Connections.Add(connectionString, shared);
            }
            shared._refCount++;
            return new ConnectionLease(shared);
        }
    }

    internal void Release()
    {
        bool last;
        lock (RegistryLock)
        {
            _refCount--;
            last = _refCount == 0;
            if (last) Connections.Remove(_key);
        }
        if (last) CloseAsync().GetAwaiter().GetResult();
    }

    public async Task<IConnection> GetConnectionAsync(CancellationToken cancellationToken = default)
    {
        var connection = _connection;
        if (connection != null) return connection;

        await _connectLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_connection != null) return _connection;
            ObjectDisposedException.ThrowIf(_closed, this);

            var factory = new ConnectionFactory
            {
                Uri = new Uri(_key),
                AutomaticRecoveryEnabled = true,
                TopologyRecoveryEnabled = true,
                NetworkRecoveryInterval = TimeSpan.FromSeconds(2),
                RequestedHeartbeat = TimeSpan.FromSeconds(30),
                ClientProvidedName = _clientName,
            };

            try
            {
                connection = await factory.CreateConnectionAsync(_clientName, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                throw new RabbitMqTransportException($"Could not connect to RabbitMQ at {SafeAddress} as '{_clientName}': {exception.Message}", exception);
            }

            connection.ConnectionShutdownAsync += OnConnectionShutdown;
            connection.RecoverySucceededAsync += OnRecoverySucceeded;
            connection.ConnectionRecoveryErrorAsync += OnRecoveryError;
            _log.Info("Connected to RabbitMQ at {address} as {clientName}", SafeAddress, _clientName);
            _connection = connection;
            return connection;
        }
        finally
        {
            _connectLock.Release();
        }
    }

    /// <summary>
    /// Waits until the (possibly recovering) connection is open again, or throws when <paramref name="deadline"/> passes.
    /// </summary>
    public async Task WaitUntilOpenAsync(DateTime deadlineUtc, Func<string> describeWork, CancellationToken cancellationToken = default)
    {
        var connection = await GetConnectionAsync(cancellationToken).ConfigureAwait(false);
        var delay = 10;
        while (!connection.IsOpen)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            if (DateTime.UtcNow >= deadlineUtc)
            {
                throw new RabbitMqTransportException(
                    $"The RabbitMQ connection to {SafeAddress} ('{_clientName}') did not recover in time; gave up {describeWork()}");
            }
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay = Math.Min(delay * 2, 200);
        }
    }

    Task OnConnectionShutdown(object sender, ShutdownEventArgs args)
    {
        if (args.Initiator == ShutdownInitiator.Application) return Task.CompletedTask;
        _log.Warn("RabbitMQ connection {clientName} to {address} was lost ({code} {text}); recovering automatically",
            _clientName, SafeAddress, args.ReplyCode, args.ReplyText);
        return Task.CompletedTask;
    }

    Task OnRecoverySucceeded(object sender, AsyncEventArgs args)
    {
        _log.Warn("RabbitMQ connection {clientName} to {address} recovered", _clientName, SafeAddress);
        return Task.CompletedTask;
    }

    Task OnRecoveryError(object sender, ConnectionRecoveryErrorEventArgs args)
    {
        _log.Warn(args.Exception, "RabbitMQ connection {clientName} to {address} could not be recovered yet; retrying", _clientName, SafeAddress);
        return Task.CompletedTask;
    }

    async Task CloseAsync()
    {
        await _connectLock.WaitAsync().ConfigureAwait(false);
        try
        {
            _closed = true;
            await _pool.DisposeAsync().ConfigureAwait(false);
            var connection = _connection;
            _connection = null;
            if (connection == null) return;
            try
            {
                await connection.CloseAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                _log.Debug("Ignoring error while closing RabbitMQ connection {clientName}: {message}", _clientName, exception.Message);
            }
            connection.Dispose();
            _log.Info("Closed RabbitMQ connection {clientName}", _clientName);
        }
        finally
        {
            _connectLock.Release();
        }
    }

    static string DescribeWithoutCredentials(string connectionString)
    {
        try
        {
            var uri = new Uri(connectionString);
            var vhost = uri.AbsolutePath.Length > 1 ? Uri.UnescapeDataString(uri.AbsolutePath[1..]) : "/";
            return $"{uri.Scheme}://{uri.Host}:{(uri.IsDefaultPort ? 5672 : uri.Port)} (vhost '{vhost}')";
        }
        catch (UriFormatException)
        {
            throw new ArgumentException("The RabbitMQ connection string must be an AMQP URI such as amqp://user:password@host:5672/vhost");
        }
    }
}

/// <summary>One user's reference on a <see cref="SharedConnection"/>; disposing it releases that reference once.</summary>
internal sealed class ConnectionLease : IDisposable
{
    int _disposed;

    public ConnectionLease(SharedConnection connection) => Connection = connection;

    public SharedConnection Connection { get; }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) Connection.Release();
    }
}
