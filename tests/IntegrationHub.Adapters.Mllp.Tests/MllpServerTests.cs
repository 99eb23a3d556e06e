using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using IntegrationHub.Testing;

namespace IntegrationHub.Adapters.Mllp.Tests;

/// <summary>The listener: frames answered in order on their connection; whatever a peer does wrong closes that connection only.</summary>
public sealed class MllpServerTests
{
    static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>A good sender on another connection: the listener still answers it.</summary>
    static async Task StillServes(MllpServer server)
    {
        using var client = await Mllp.Connect(server);
        var stream = client.GetStream();
        await stream.WriteAsync(Mllp.Frame(Mllp.Message("STILL")));
        Assert.StartsWith("MSA|AA|STILL", Mllp.Msa(await Mllp.ReadFrame(stream)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_frame_gets_its_reply_on_the_same_connection()
    {
        var handler = new ScriptedHandler();
        await using var server = Mllp.Server(handler);
        using var client = await Mllp.Connect(server);

        await client.GetStream().WriteAsync(Mllp.Frame(Mllp.Message("C1")));

        Assert.StartsWith("MSA|AA|C1", Mllp.Msa(await Mllp.ReadFrame(client.GetStream())), StringComparison.Ordinal);
        Assert.Equal(Mllp.Message("C1"), Assert.Single(handler.Handled).Message);
    }

    [Fact]
    public async Task Frames_on_one_connection_are_handled_in_order_even_when_sent_at_once()
    {
        var handler = new ScriptedHandler();
        await using var server = Mllp.Server(handler);
        using var client = await Mllp.Connect(server);
        var stream = client.GetStream();

        // All written before any answer is read, with CR/LF between frames as some senders do.
        await stream.WriteAsync(Enumerable.Range(1, 50).SelectMany(i => Mllp.Frame(Mllp.Message($"N{i}")).Concat("\r\n"u8.ToArray())).ToArray());

        for (var i = 1; i <= 50; i++)
            Assert.StartsWith($"MSA|AA|N{i}|", Mllp.Msa(await Mllp.ReadFrame(stream)), StringComparison.Ordinal);
        Assert.Equal(Enumerable.Range(1, 50).Select(i => Mllp.Message($"N{i}")), handler.Handled.Select(h => h.Message));
    }

    [Fact]
    public async Task A_sender_that_dies_mid_frame_is_not_handled_and_others_are_served()
    {
        var handler = new ScriptedHandler();
        await using var server = Mllp.Server(handler);
        using (var dying = await Mllp.Connect(server))
        {
            var frame = Mllp.Frame(Mllp.Message("HALF"));
            await dying.GetStream().WriteAsync(frame.AsMemory(0, frame.Length / 2));
            dying.Client.Close(0);
        }
        await Eventually.Until(() => server.OpenConnections == 0, Patience, "the half-sent connection is closed");

        await StillServes(server);
        Assert.DoesNotContain(handler.Handled, h => h.Message.Contains("HALF", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("garbage before the frame")]
    [InlineData("end block not followed by CR")]
    public async Task Bytes_outside_a_frame_close_the_connection(string what)
    {
        var handler = new ScriptedHandler();
        await using var server = Mllp.Server(handler);
        using var client = await Mllp.Connect(server);
        byte[] bytes = what == "garbage before the frame"
            ? [.. "GET / HTTP/1.1\r\n\r\n"u8, .. Mllp.Frame(Mllp.Message("G1"))]
            : [0x0B, .. Encoding.ASCII.GetBytes(Mllp.Message("G2")), 0x1C, (byte)'X'];

        await client.GetStream().WriteAsync(bytes);

        Assert.True(await Mllp.Closed(client.GetStream(), Patience), "the connection is closed");
        Assert.Empty(handler.Handled);
        await StillServes(server);
    }

    [Fact]
    public async Task A_frame_with_no_end_byte_is_closed_at_the_frame_timeout()
    {
        var handler = new ScriptedHandler();
        await using var server = Mllp.Server(handler, new MllpServerOptions { FrameTimeout = TimeSpan.FromMilliseconds(300) });
        using var client = await Mllp.Connect(server);

        await client.GetStream().WriteAsync((byte[])[0x0B, .. Encoding.ASCII.GetBytes(Mllp.Message("NOEND"))]);

        Assert.True(await Mllp.Closed(client.GetStream(), Patience), "the unfinished frame's connection is closed");
        Assert.Empty(handler.Handled);
    }

    [Fact]
    public async Task A_slow_loris_sender_is_closed_at_the_frame_timeout_while_others_are_served()
    {
        var handler = new ScriptedHandler();
        await using var server = Mllp.Server(handler, new MllpServerOptions { FrameTimeout = TimeSpan.FromMilliseconds(500), IdleTimeout = TimeSpan.FromMinutes(1) });
        using var slow = await Mllp.Connect(server);
        var frame = Mllp.Frame(Mllp.Message("SLOW"));
        var stream = slow.GetStream();
        var closed = Mllp.Closed(stream, Patience);

        // One byte every 50 ms: each arrives well within any per-read timeout, the frame never within the frame's.
        var sent = 0;
        try
        {
            for (; sent < frame.Length - 2 && !closed.IsCompleted; sent++)
            {
                await stream.WriteAsync(frame.AsMemory(sent, 1));
                await StillServesOnce(server, sent);
                await Task.WhenAny(closed, Task.Delay(50));
            }
        }
        catch (IOException)
        {
        }

        Assert.True(await closed, "the slow sender was closed");
        Assert.True(sent < frame.Length - 2, "it was closed before it finished");
        Assert.DoesNotContain(handler.Handled, h => h.Message.Contains("SLOW", StringComparison.Ordinal));
    }

    static async Task StillServesOnce(MllpServer server, int i)
    {
        if (i == 3) await StillServes(server);
    }

    [Fact]
    public async Task An_idle_connection_is_closed_at_the_idle_timeout()
    {
        await using var server = Mllp.Server(new ScriptedHandler(), new MllpServerOptions { IdleTimeout = TimeSpan.FromMilliseconds(300) });
        using var client = await Mllp.Connect(server);
        var stream = client.GetStream();
        await stream.WriteAsync(Mllp.Frame(Mllp.Message("I1")));
        Assert.NotNull(await Mllp.ReadFrame(stream));

        Assert.True(await Mllp.Closed(stream, Patience), "the idle connection is closed");
    }

    [Fact]
    public async Task Two_hundred_concurrent_connections_each_get_their_reply()
    {
        var handler = new ScriptedHandler();
        await using var server = Mllp.Server(handler);
        var clients = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Mllp.Connect(server)));
        try
        {
            var answers = await Task.WhenAll(clients.Select(async (client, i) =>
            {
                await client.GetStream().WriteAsync(Mllp.Frame(Mllp.Message($"P{i}")));
                return Mllp.Msa(await Mllp.ReadFrame(client.GetStream()));
            }));

            Assert.All(answers.Select((a, i) => (a, i)), x => Assert.StartsWith($"MSA|AA|P{x.i}|", x.a, StringComparison.Ordinal));
            Assert.Equal(200, handler.Handled.Select(h => h.Connection).Distinct().Count());
        }
        finally
        {
            foreach (var client in clients) client.Dispose();
        }
    }

    [Fact]
    public async Task A_connection_over_the_limit_is_closed_at_once_and_the_others_are_kept()
    {
        await using var server = Mllp.Server(new ScriptedHandler(), new MllpServerOptions { MaxConnections = 2 });
        using var first = await Mllp.Connect(server);
        using var second = await Mllp.Connect(server);
        await Eventually.Until(() => server.OpenConnections == 2, Patience, "two connections open");
        // Closed at once: the connect itself may already see the reset.
        var thirdClosed = false;
        try
        {
            using var third = await Mllp.Connect(server);
            thirdClosed = await Mllp.Closed(third.GetStream(), Patience);
        }
        catch (SocketException)
        {
            thirdClosed = true;
        }

        Assert.True(thirdClosed, "the third connection is closed");
        await first.GetStream().WriteAsync(Mllp.Frame(Mllp.Message("KEPT")));
        Assert.StartsWith("MSA|AA|KEPT", Mllp.Msa(await Mllp.ReadFrame(first.GetStream())), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_20_MB_frame_over_the_limit_is_answered_from_its_header_and_not_handled()
    {
        var handler = new ScriptedHandler();
        await using var server = Mllp.Server(handler);
        using var client = await Mllp.Connect(server);
        var stream = client.GetStream();
        var huge = Mllp.Frame(Mllp.Message("HUGE", "\rNTE|1||" + new string('x', 20 * 1024 * 1024)));

        var writing = stream.WriteAsync(huge).AsTask();
        var answer = await Mllp.ReadFrame(stream, TimeSpan.FromSeconds(60));
        await writing;

        Assert.StartsWith("MSA|AR|HUGE", Mllp.Msa(answer), StringComparison.Ordinal);
        Assert.StartsWith(Mllp.Message("HUGE")[..40], Assert.Single(handler.OversizedPrefixes), StringComparison.Ordinal);
        Assert.True(handler.OversizedPrefixes.Single().Length <= 64 * 1024);
        Assert.Empty(handler.Handled);
        Assert.True(await Mllp.Closed(stream, Patience), "closed after the answer");
        await StillServes(server);
    }

    [Fact]
    public async Task A_frame_over_a_small_limit_that_arrives_whole_is_answered_from_its_header()
    {
        var handler = new ScriptedHandler();
        await using var server = Mllp.Server(handler, new MllpServerOptions { MaxFrameBytes = 1024 });
        using var client = await Mllp.Connect(server);

        await client.GetStream().WriteAsync(Mllp.Frame(Mllp.Message("SMALL", "\rNTE|1||" + new string('z', 4096))));

        Assert.StartsWith("MSA|AR|SMALL", Mllp.Msa(await Mllp.ReadFrame(client.GetStream())), StringComparison.Ordinal);
        Assert.Empty(handler.Handled);
    }

    [Fact]
    public async Task A_20_MB_frame_under_a_raised_limit_is_handled_whole()
    {
        var handler = new ScriptedHandler();
        await using var server = Mllp.Server(handler, new MllpServerOptions { MaxFrameBytes = 32 * 1024 * 1024 });
        using var client = await Mllp.Connect(server);
        var message = Mllp.Message("BIG", "\rNTE|1||" + new string('y', 20 * 1024 * 1024));

        var writing = client.GetStream().WriteAsync(Mllp.Frame(message)).AsTask();
        var answer = await Mllp.ReadFrame(client.GetStream(), TimeSpan.FromSeconds(60));
        await writing;

        Assert.StartsWith("MSA|AA|BIG", Mllp.Msa(answer), StringComparison.Ordinal);
        Assert.Equal(message.Length, Assert.Single(handler.Handled).Message.Length);
    }

    [Fact]
    public async Task A_handler_failure_closes_only_that_connection()
    {
        var handler = new ScriptedHandler { Answer = (text, _) => text.Contains("BOOM", StringComparison.Ordinal) ? throw new InvalidOperationException("boom") : MllpReply.Send(ScriptedHandler.Ack(text, "AA")) };
        await using var server = Mllp.Server(handler);
        using var client = await Mllp.Connect(server);

        await client.GetStream().WriteAsync(Mllp.Frame(Mllp.Message("BOOM")));

        Assert.True(await Mllp.Closed(client.GetStream(), Patience), "the failing connection is closed");
        await StillServes(server);
    }

    [Fact]
    public async Task TLS_round_trip_and_a_client_without_the_pinned_certificate_is_refused()
    {
        using var serverCertificate = SelfSigned("CN=mllp-test-server");
        using var clientCertificate = SelfSigned("CN=mllp-test-client");
        var pinned = clientCertificate.GetCertHashString(HashAlgorithmName.SHA256);
        var handler = new ScriptedHandler();
        await using var server = Mllp.Server(handler, new MllpServerOptions
        {
            Certificate = serverCertificate,
            RequireClientCertificate = true,
            ValidateClientCertificate = (certificate, _, _) => certificate.GetCertHashString(HashAlgorithmName.SHA256) == pinned,
        });

        await using var client = new MllpClient(new MllpClientOptions
        {
            Host = "127.0.0.1", Port = server.Port, Tls = true, TlsServerName = "mllp-test-server",
            ClientCertificates = [clientCertificate],
            ValidateServerCertificate = (_, certificate, _, _) => certificate?.GetCertHashString(HashAlgorithmName.SHA256) == serverCertificate.GetCertHashString(HashAlgorithmName.SHA256),
        });
        var delivery = await client.SendOnce(Encoding.UTF8.GetBytes(Mllp.Message("TLS1")), CancellationToken.None);
        Assert.Equal(MllpOutcome.Accepted, delivery.Outcome);

        await using var anonymous = new MllpClient(new MllpClientOptions
        {
            Host = "127.0.0.1", Port = server.Port, Tls = true, TlsServerName = "mllp-test-server",
            ValidateServerCertificate = (_, _, _, _) => true,
        });
        var refused = await anonymous.SendOnce(Encoding.UTF8.GetBytes(Mllp.Message("TLS2")), CancellationToken.None);
        Assert.Equal(MllpOutcome.NoAck, refused.Outcome);

        using var otherCertificate = SelfSigned("CN=mllp-test-client");
        await using var impostor = new MllpClient(new MllpClientOptions
        {
            Host = "127.0.0.1", Port = server.Port, Tls = true, TlsServerName = "mllp-test-server",
            ClientCertificates = [otherCertificate],
            ValidateServerCertificate = (_, _, _, _) => true,
        });
        var unpinned = await impostor.SendOnce(Encoding.UTF8.GetBytes(Mllp.Message("TLS3")), CancellationToken.None);
        Assert.Equal(MllpOutcome.NoAck, unpinned.Outcome);
        Assert.Contains("TLS1", Assert.Single(handler.Handled).Message);
    }

    static X509Certificate2 SelfSigned(string subject)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(subject[3..]);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        // Exported and loaded again: SslStream needs a certificate whose private key it can use on Linux.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }
}
