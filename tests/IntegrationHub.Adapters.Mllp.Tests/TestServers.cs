using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using IntegrationHub.Adapters.Hl7v2;
using Microsoft.Extensions.Logging.Abstractions;

namespace IntegrationHub.Adapters.Mllp.Tests;

/// <summary>A handler that answers AA to every message (or what a test scripts), and records what it was given.</summary>
public sealed class ScriptedHandler : IMllpHandler
{
    public ConcurrentQueue<(long Connection, string Message)> Handled { get; } = new();
    public ConcurrentQueue<string> OversizedPrefixes { get; } = new();
    public Func<string, int, MllpReply>? Answer { get; set; }
    public Func<Task>? Before { get; set; }
    int _count;

    public async ValueTask<MllpReply> Handle(MllpConnection connection, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        if (Before is { } before) await before();
        var text = Encoding.UTF8.GetString(message.Span);
        Handled.Enqueue((connection.Id, text));
        var n = Interlocked.Increment(ref _count);
        return Answer?.Invoke(text, n) ?? MllpReply.Send(Ack(text, "AA"));
    }

    public ValueTask<MllpReply> Oversized(MllpConnection connection, ReadOnlyMemory<byte> prefix, CancellationToken cancellationToken)
    {
        var text = Encoding.UTF8.GetString(prefix.Span);
        OversizedPrefixes.Enqueue(text);
        return ValueTask.FromResult(MllpReply.SendAndClose(Ack(text, "AR")));
    }

    public static byte[] Ack(string message, string code)
    {
        var end = message.IndexOf('\r');
        var parsed = Hl7Parser.Parse(end < 0 ? message : message[..(end + 1)]);
        var controlId = parsed.Message?.Msh.ControlId ?? "?";
        return Encoding.UTF8.GetBytes($"MSH|^~\\&|RCV|RCVFAC|SND|SNDFAC|20261202||ACK|A-{controlId}|P|2.5.1\rMSA|{code}|{controlId}|{code} from the test\r");
    }
}

public static class Mllp
{
    public static string Message(string controlId, string body = "") =>
        $"MSH|^~\\&|SND|SNDFAC|RCV|RCVFAC|20261202101500||ADT^A04^ADT_A01|{controlId}|P|2.5.1\rEVN|A04|20261202\rPID|1||MRN-1||KHAN^AYESHA{body}\r";

    public static byte[] Frame(string message) => [0x0B, .. Encoding.UTF8.GetBytes(message), 0x1C, 0x0D];

    public static MllpServer Server(ScriptedHandler handler, MllpServerOptions? options = null) =>
        MllpServer.Start("test", (options ?? new MllpServerOptions()) with { Address = IPAddress.Loopback, Port = 0 }, handler, NullLogger.Instance);

    public static async Task<TcpClient> Connect(MllpServer server)
    {
        var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, server.Port);
        return client;
    }

    /// <summary>Reads one frame's content (null when the connection closed first).</summary>
    public static async Task<string?> ReadFrame(Stream stream, TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        var bytes = new List<byte>();
        var one = new byte[1];
        while (true)
        {
            int read;
            try
            {
                read = await stream.ReadAsync(one, cancel.Token);
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
            {
                return null;
            }
            if (read == 0) return null;
            bytes.Add(one[0]);
            if (bytes.Count >= 2 && bytes[^2] == 0x1C && bytes[^1] == 0x0D)
                return Encoding.UTF8.GetString(bytes.ToArray(), 1, bytes.Count - 3);
        }
    }

    /// <summary>True once the server closed the connection (a read returns 0 or fails), within the bound.</summary>
    public static async Task<bool> Closed(Stream stream, TimeSpan within)
    {
        using var cancel = new CancellationTokenSource(within);
        var buffer = new byte[4096];
        try
        {
            while (await stream.ReadAsync(buffer, cancel.Token) > 0)
            {
            }
            return true;
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public static string Msa(string? ack) => ack?.Split('\r').First(s => s.StartsWith("MSA|", StringComparison.Ordinal)) ?? "(no ACK)";
}
