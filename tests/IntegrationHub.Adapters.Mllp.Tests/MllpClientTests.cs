using System.Net;
using System.Net.Sockets;
using System.Text;

namespace IntegrationHub.Adapters.Mllp.Tests;

/// <summary>The outbound client: one reused connection, the ACK read and matched to the message, retries on AE and silence.</summary>
public sealed class MllpClientTests
{
    static MllpClient Client(MllpServer server, int maxAttempts = 3, int ackTimeoutMs = 2000) => new(new MllpClientOptions
    {
        Host = "127.0.0.1", Port = server.Port, MaxAttempts = maxAttempts, AckTimeout = TimeSpan.FromMilliseconds(ackTimeoutMs),
        FirstRetryDelay = TimeSpan.FromMilliseconds(10), MaxRetryDelay = TimeSpan.FromMilliseconds(40),
    });

    static byte[] Message(string controlId) => Encoding.UTF8.GetBytes(Mllp.Message(controlId));

    [Fact]
    public async Task Consecutive_sends_reuse_one_connection()
    {
        var handler = new ScriptedHandler();
        await using var server = Mllp.Server(handler);
        await using var client = Client(server);

        var first = await client.SendOnce(Message("R1"), CancellationToken.None);
        var second = await client.SendOnce(Message("R2"), CancellationToken.None);

        Assert.Equal((MllpOutcome.Accepted, MllpOutcome.Accepted), (first.Outcome, second.Outcome));
        Assert.Single(handler.Handled.Select(h => h.Connection).Distinct());
    }

    [Fact]
    public async Task AE_then_AA_is_delivered_on_the_second_attempt()
    {
        var handler = new ScriptedHandler { Answer = (text, n) => MllpReply.Send(ScriptedHandler.Ack(text, n == 1 ? "AE" : "AA")) };
        await using var server = Mllp.Server(handler);
        await using var client = Client(server);

        var delivery = await client.Deliver(Message("E1"), CancellationToken.None);

        Assert.Equal((MllpOutcome.Accepted, "AA", 2), (delivery.Outcome, delivery.AckCode, delivery.Attempts));
        Assert.Equal(2, handler.Handled.Count);
    }

    [Fact]
    public async Task AR_is_final_after_one_attempt()
    {
        var handler = new ScriptedHandler { Answer = (text, _) => MllpReply.Send(ScriptedHandler.Ack(text, "AR")) };
        await using var server = Mllp.Server(handler);
        await using var client = Client(server);

        var delivery = await client.Deliver(Message("AR1"), CancellationToken.None);

        Assert.Equal((MllpOutcome.Rejected, "AR", 1), (delivery.Outcome, delivery.AckCode, delivery.Attempts));
        Assert.Contains("AR from the test", delivery.Detail, StringComparison.Ordinal);
        Assert.Single(handler.Handled);
    }

    [Fact]
    public async Task No_ACK_is_tried_again_up_to_the_limit()
    {
        var handler = new ScriptedHandler { Answer = (_, _) => MllpReply.Nothing };
        await using var server = Mllp.Server(handler);
        await using var client = Client(server, maxAttempts: 3, ackTimeoutMs: 200);

        var delivery = await client.Deliver(Message("SILENT"), CancellationToken.None);

        Assert.Equal((MllpOutcome.NoAck, 3), (delivery.Outcome, delivery.Attempts));
        Assert.Contains("no ACK within", delivery.Detail, StringComparison.Ordinal);
        Assert.Equal(3, handler.Handled.Count);
    }

    [Fact]
    public async Task A_server_that_closes_after_each_answer_is_reconnected_to()
    {
        var handler = new ScriptedHandler { Answer = (text, _) => MllpReply.SendAndClose(ScriptedHandler.Ack(text, "AA")) };
        await using var server = Mllp.Server(handler);
        await using var client = Client(server);

        var first = await client.Deliver(Message("X1"), CancellationToken.None);
        var second = await client.Deliver(Message("X2"), CancellationToken.None);

        Assert.Equal((MllpOutcome.Accepted, MllpOutcome.Accepted), (first.Outcome, second.Outcome));
        Assert.Equal(2, handler.Handled.Select(h => h.Connection).Distinct().Count());
    }

    [Fact]
    public async Task An_ACK_for_another_message_is_no_ACK()
    {
        var handler = new ScriptedHandler { Answer = (_, _) => MllpReply.Send(ScriptedHandler.Ack(Mllp.Message("SOMEONE-ELSE"), "AA")) };
        await using var server = Mllp.Server(handler);
        await using var client = Client(server, maxAttempts: 1);

        var delivery = await client.Deliver(Message("MINE"), CancellationToken.None);

        Assert.Equal(MllpOutcome.NoAck, delivery.Outcome);
        Assert.Contains("another message", delivery.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_connection_is_no_ACK_naming_the_address()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        await using var client = new MllpClient(new MllpClientOptions { Host = "127.0.0.1", Port = port, MaxAttempts = 2, FirstRetryDelay = TimeSpan.FromMilliseconds(5) });

        var delivery = await client.Deliver(Message("NOBODY"), CancellationToken.None);

        Assert.Equal((MllpOutcome.NoAck, 2), (delivery.Outcome, delivery.Attempts));
        Assert.Contains($"127.0.0.1:{port}", delivery.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_message_without_MSH_is_refused_before_anything_is_sent()
    {
        await using var client = new MllpClient(new MllpClientOptions { Host = "127.0.0.1", Port = 1 });

        await Assert.ThrowsAsync<ArgumentException>(() => client.Deliver("PID|1||X\r"u8.ToArray(), CancellationToken.None));
    }
}
