using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using IntegrationHub.Adapters.Hl7v2;
using IntegrationHub.Adapters.Mllp.Internals;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.Adapters.Mllp;

/// <summary>Where an <see cref="MllpClient"/> sends, how long it waits and how often it tries.</summary>
public sealed record MllpClientOptions
{
    public required string Host { get; init; }
    public required int Port { get; init; }
    public bool Tls { get; init; }
    /// <summary>The name the server's certificate must carry (default: <see cref="Host"/>).</summary>
    public string? TlsServerName { get; init; }
    public X509Certificate2Collection? ClientCertificates { get; init; }
    /// <summary>Default: the server's certificate must chain to a trusted root and carry the name.</summary>
    public RemoteCertificateValidationCallback? ValidateServerCertificate { get; init; }
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan AckTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public int MaxAttempts { get; init; } = 5;
    public TimeSpan FirstRetryDelay { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(30);
    public int MaxAckBytes { get; init; } = 1024 * 1024;
}

public enum MllpOutcome
{
    /// <summary>AA or CA.</summary>
    Accepted,
    /// <summary>AR or CR: the receiver refuses the message; sending it again will not help.</summary>
    Rejected,
    /// <summary>AE or CE: the receiver could not take it now.</summary>
    Error,
    /// <summary>No ACK: no connection, no answer in time, the connection closed, garbage, or an ACK for another message.</summary>
    NoAck,
}

/// <param name="AckCode">MSA-1 of the ACK (null without one).</param>
/// <param name="Detail">What the ACK said (MSA-3, ERR) or why there was none.</param>
public sealed record MllpDelivery(MllpOutcome Outcome, string? AckCode, byte[]? Ack, string? Detail, int Attempts);

/// <summary>
/// Sends HL7 v2 over MLLP to one system and reads its ACK. One connection, reused for consecutive messages (sent one at
/// a time, in order); after a timeout, garbage or a close it is dropped and the next attempt connects again.
/// <see cref="Deliver"/> tries again with growing, jittered delays on AE/CE and no ACK.
/// </summary>
public sealed class MllpClient(MllpClientOptions options, ILogger? logger = null) : IAsyncDisposable
{
    readonly SemaphoreSlim _gate = new(1, 1);
    TcpClient? _tcp;
    Stream? _stream;
    MllpFrameReader? _reader;

    /// <summary>One attempt on the reused connection.</summary>
    public async Task<MllpDelivery> SendOnce(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return await Attempt(message, ControlIdOf(message), cancellationToken) with { Attempts = 1 };
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Attempts until AA/CA or AR/CR, or <see cref="MllpClientOptions.MaxAttempts"/>; the last outcome.</summary>
    public async Task<MllpDelivery> Deliver(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        var controlId = ControlIdOf(message);
        var delay = options.FirstRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            MllpDelivery delivery;
            await _gate.WaitAsync(cancellationToken);
            try
            {
                delivery = await Attempt(message, controlId, cancellationToken) with { Attempts = attempt };
            }
            finally
            {
                _gate.Release();
            }
            if (delivery.Outcome is MllpOutcome.Accepted or MllpOutcome.Rejected || attempt >= options.MaxAttempts)
                return delivery;
            logger?.LogInformation("MLLP to {Host}:{Port}: attempt {Attempt} of {MaxAttempts} got {Outcome} ({Detail}); trying again in {Delay}",
                options.Host, options.Port, attempt, options.MaxAttempts, delivery.Outcome, delivery.Detail, delay);
            await Task.Delay(delay * (0.8 + 0.4 * Random.Shared.NextDouble()), cancellationToken);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, options.MaxRetryDelay.Ticks));
        }
    }

    static string ControlIdOf(ReadOnlyMemory<byte> message) =>
        Hl7Parser.Parse(message.Span).Message?.Msh.ControlId is { Length: > 0 } id
            ? id
            : throw new ArgumentException("The message to send has no readable MSH with a control id (MSH-10).", nameof(message));

    async Task<MllpDelivery> Attempt(ReadOnlyMemory<byte> message, string controlId, CancellationToken cancellationToken)
    {
        try
        {
            var stream = _stream ?? await Connect(cancellationToken);
            // One deadline for writing the frame and reading its ACK: a receiver that stops reading cannot hold the client.
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.AckTimeout);
            MllpRead read;
            try
            {
                await stream.WriteAsync(MllpFrameReader.Frame(message.Span), timeout.Token);
                await stream.FlushAsync(timeout.Token);
                read = await _reader!.Read(null, timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return Drop($"no ACK within {options.AckTimeout}");
            }
            catch (OperationCanceledException)
            {
                Drop("cancelled"); // a frame may be half written: the connection cannot carry another one
                throw;
            }
            if (read.Kind != MllpReadKind.Frame)
                return Drop(read.Kind switch
                {
                    MllpReadKind.End or MllpReadKind.Truncated => "the connection closed before the ACK",
                    MllpReadKind.TooLarge => $"an answer over {options.MaxAckBytes} bytes",
                    _ => "bytes that are not an MLLP frame",
                });
            return Read(read.Frame.ToArray(), controlId);
        }
        catch (Exception e) when (e is IOException or SocketException or AuthenticationException or ObjectDisposedException)
        {
            return Drop(e is SocketException { SocketErrorCode: SocketError.ConnectionRefused }
                ? $"{options.Host}:{options.Port} refused the connection"
                : $"{e.GetType().Name}: {e.Message}");
        }
    }

    MllpDelivery Read(byte[] ack, string controlId)
    {
        var parsed = Hl7Parser.Parse(ack);
        if (parsed.Message?.First("MSA") is not { } msa)
            return Drop("an answer that is not an ACK (no MSA segment)");
        if (msa[2] != controlId)
            return Drop($"an ACK for another message (MSA-2 '{msa[2]}', sent '{controlId}')");
        var code = msa[1];
        var err = parsed.Message.First("ERR");
        var detail = string.Join("; ", new[] { msa[3], err?[3, 2] ?? "", err?[1, 4, 2] ?? "" }.Where(t => t.Length > 0));
        var outcome = code switch
        {
            "AA" or "CA" => MllpOutcome.Accepted,
            "AR" or "CR" => MllpOutcome.Rejected,
            "AE" or "CE" => MllpOutcome.Error,
            _ => MllpOutcome.NoAck,
        };
        if (outcome == MllpOutcome.NoAck) detail = $"an unknown acknowledgment code '{code}'";
        return new MllpDelivery(outcome, code, ack, detail.Length > 0 ? detail : null, 0);
    }

    async Task<Stream> Connect(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            await tcp.ConnectAsync(options.Host, options.Port, timeout.Token);
            Stream stream = tcp.GetStream();
            if (options.Tls)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false, options.ValidateServerCertificate);
                await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = options.TlsServerName ?? options.Host,
                    ClientCertificates = options.ClientCertificates,
                }, timeout.Token);
                stream = ssl;
            }
            (_tcp, _stream, _reader) = (tcp, stream, new MllpFrameReader(stream, options.MaxAckBytes));
            return stream;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            tcp.Dispose();
            throw new IOException($"no connection to {options.Host}:{options.Port} within {options.ConnectTimeout}");
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    MllpDelivery Drop(string why)
    {
        _reader?.Dispose();
        _stream?.Dispose();
        _tcp?.Dispose();
        (_tcp, _stream, _reader) = (null, null, null);
        return new MllpDelivery(MllpOutcome.NoAck, null, null, why, 0);
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync();
        try
        {
            Drop("closed");
        }
        finally
        {
            _gate.Release();
        }
    }
}
