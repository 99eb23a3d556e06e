using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace IntegrationHub.Adapters.Mllp;

/// <summary>Where an <see cref="MllpServer"/> listens and the limits it keeps.</summary>
public sealed record MllpServerOptions
{
    public IPAddress Address { get; init; } = IPAddress.Any;

    /// <summary>0: any free port (see <see cref="MllpServer.Port"/>).</summary>
    public int Port { get; init; }

    /// <summary>Connections open at once; one more is accepted and closed at once (and logged).</summary>
    public int MaxConnections { get; init; } = 200;

    /// <summary>No byte between frames for this long: the connection is closed.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>A frame (or a TLS handshake) must be complete this long after it started: slow senders are closed.</summary>
    public TimeSpan FrameTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Largest message in a frame; a larger one is read to its end and dropped, and the handler's <see cref="IMllpHandler.Oversized"/> answers.</summary>
    public int MaxFrameBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>TLS when set (with its private key).</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>With TLS: a client without a certificate that <see cref="ValidateClientCertificate"/> accepts is refused at the handshake.</summary>
    public bool RequireClientCertificate { get; init; }

    /// <summary>With TLS: whether a client certificate is accepted (default: it chains to a trusted root).</summary>
    public Func<X509Certificate2, X509Chain?, SslPolicyErrors, bool>? ValidateClientCertificate { get; init; }
}

/// <summary>What the handler knows about a sender's connection.</summary>
public sealed class MllpConnection(long id, string listener, EndPoint? remote)
{
    public long Id { get; } = id;
    public string Listener { get; } = listener;
    public EndPoint? Remote { get; } = remote;
    public X509Certificate2? ClientCertificate { get; internal set; }

    public override string ToString() => $"{Listener}#{Id} ({Remote})";
}

/// <summary>The handler's answer to a frame: bytes to send back in a frame (or none), and whether to close the connection after.</summary>
public readonly record struct MllpReply(byte[]? Bytes, bool Close)
{
    public static MllpReply Send(byte[] bytes) => new(bytes, false);
    public static MllpReply SendAndClose(byte[] bytes) => new(bytes, true);
    public static MllpReply CloseConnection { get; } = new(null, true);
    public static MllpReply Nothing { get; } = new(null, false);
}

/// <summary>What an <see cref="MllpServer"/> does with frames. Called for one frame of a connection at a time, in order.</summary>
public interface IMllpHandler
{
    ValueTask<MllpReply> Handle(MllpConnection connection, ReadOnlyMemory<byte> message, CancellationToken cancellationToken);

    /// <summary>A frame over the limit: its first bytes (up to 64 KiB), so that an AR can be built from its MSH. The connection closes after.</summary>
    ValueTask<MllpReply> Oversized(MllpConnection connection, ReadOnlyMemory<byte> prefix, CancellationToken cancellationToken);
}
