using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using IntegrationHub.Adapters.Mllp;

namespace IntegrationHub.Clinical.Hl7v2;

/// <summary>
/// The MLLP listeners of <c>Hub:Clinical:Hl7v2:Mllp:Listeners</c>, started with the endpoint: each one bound to its
/// department, every frame taken in by <see cref="Hl7v2Intake"/> and answered with its ACK on the same connection.
/// A listener that cannot bind its port stops the process with the port named. Listeners bind when the endpoint starts
/// and answer once the whole process has started (the endpoint's bus included): a frame that arrives sooner waits.
/// </summary>
public sealed class MllpListeners(Hl7v2Options options, Hl7v2Intake intake, ILoggerFactory loggers, IHostApplicationLifetime lifetime)
    : IHostedService, IAsyncDisposable
{
    readonly List<(MllpListenerOptions Options, MllpServer Server)> _servers = [];
    readonly ILogger _logger = loggers.CreateLogger<MllpListeners>();
    readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The port each listener is bound to (its configured one, or the one the system chose for port 0).</summary>
    public IReadOnlyDictionary<string, int> Ports
    {
        get
        {
            lock (_servers) return _servers.ToDictionary(s => s.Options.Name, s => s.Server.Port);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() => _started.TrySetResult());
        foreach (var listener in options.Mllp.Listeners)
        {
            MllpServer server;
            try
            {
                server = MllpServer.Start(listener.Name, ServerOptions(listener), new ListenerHandler(listener, intake, _started.Task),
                    loggers.CreateLogger("IntegrationHub.Clinical.Mllp." + listener.Name));
            }
            catch (System.Net.Sockets.SocketException exception)
            {
                throw new InvalidOperationException(
                    $"MLLP listener '{listener.Name}' cannot listen on {listener.Address}:{listener.Port}: {exception.Message} " +
                    $"(set {Hl7v2Options.SectionName}:Mllp:Listeners:{listener.Name}:Port to a free port)", exception);
            }
            lock (_servers) _servers.Add((listener, server));
            _logger.LogInformation("MLLP listener {Listener} on {Address}:{Port} for department {Department}{Tls}", listener.Name,
                listener.Address, server.Port, listener.Department,
                listener.Tls is null ? "" : listener.Tls.RequireClientCertificate ? " (TLS, client certificates required)" : " (TLS)");
        }
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync();

    /// <summary>Stops every listener once, whoever asks first (the host's stop and the container's disposal may overlap).</summary>
    public async ValueTask DisposeAsync()
    {
        List<(MllpListenerOptions, MllpServer Server)> servers;
        lock (_servers)
        {
            servers = [.. _servers];
            _servers.Clear();
        }
        foreach (var (_, server) in servers)
            await server.DisposeAsync();
    }

    MllpServerOptions ServerOptions(MllpListenerOptions listener) => new()
    {
        Address = listener.Address,
        Port = listener.Port,
        MaxConnections = options.Mllp.MaxConnections,
        IdleTimeout = options.Mllp.IdleTimeout,
        FrameTimeout = options.Mllp.FrameTimeout,
        MaxFrameBytes = listener.MaxMessageBytes,
        Certificate = listener.Tls?.Certificate,
        RequireClientCertificate = listener.Tls?.RequireClientCertificate ?? false,
        ValidateClientCertificate = listener.Tls is { } tls ? (certificate, _, errors) => Trusted(tls, certificate, errors) : null,
    };

    /// <summary>
    /// Pinned thumbprints (SHA-256) accept exactly those certificates, self-signed ones too; without pins a client
    /// certificate must chain to a trusted root.
    /// </summary>
    static bool Trusted(MllpTlsOptions tls, X509Certificate2 certificate, SslPolicyErrors errors) =>
        tls.ClientCertificateThumbprints.Count > 0
            ? tls.ClientCertificateThumbprints.Contains(certificate.GetCertHashString(HashAlgorithmName.SHA256))
            : errors == SslPolicyErrors.None;

    sealed class ListenerHandler(MllpListenerOptions listener, Hl7v2Intake intake, Task started) : IMllpHandler
    {
        readonly Hl7v2Source _source = new(listener.Department, listener.Channel);

        public async ValueTask<MllpReply> Handle(MllpConnection connection, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
        {
            await started.WaitAsync(cancellationToken);
            var result = await intake.Receive(_source, message, cancellationToken);
            return result switch
            {
                { Ack: { } ack } => MllpReply.Send(ack),
                { Outcome: Hl7v2IntakeOutcome.Unreadable } => MllpReply.CloseConnection,
                _ => MllpReply.Nothing, // enhanced mode asked for no ACK
            };
        }

        public ValueTask<MllpReply> Oversized(MllpConnection connection, ReadOnlyMemory<byte> prefix, CancellationToken cancellationToken) =>
            ValueTask.FromResult(intake.TooLarge(_source, prefix) is { } ack ? MllpReply.SendAndClose(ack) : MllpReply.CloseConnection);
    }
}
