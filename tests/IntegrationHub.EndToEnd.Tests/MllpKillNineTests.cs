using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using IntegrationHub.Contracts.Clinical.Events;
using IntegrationHub.Hosting;
using IntegrationHub.Testing;
using Npgsql;
using Xunit.Abstractions;

namespace IntegrationHub.EndToEnd.Tests;

/// <summary>
/// "AA means durable", with real processes on RabbitMQ + PostgreSQL: the Clinical endpoint (its own program) takes HL7 v2
/// over MLLP from several senders while it is killed with <c>kill -9</c>. Every message it ACKed AA is handed on
/// (<see cref="Hl7v2MessageAccepted"/> reaches a subscriber) after the restart; every message it did not ACK is sent
/// again by its sender, as MLLP senders do, and is handed on once — also when the first copy had been committed.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class MllpKillNineTests(ITestOutputHelper output) : IAsyncLifetime
{
    const int Senders = 4;
    const int MessagesPerSender = 150;
    const int KillAfterAcks = 200;
    static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    readonly IsolatedDurableInfrastructure _infrastructure = new() { VirtualHostLabel = "mllp-kill9" };
    readonly MessageRecorder _recorder = new();
    readonly string _subscriber = Names.UniqueEndpoint("Hl7Subscriber");
    readonly int _port = FreePort();
    HubTestHost _subscriberHost = null!;

    public async Task InitializeAsync()
    {
        await _infrastructure.InitializeAsync();
        // The subscriber first, so that its subscription exists before the endpoint publishes anything.
        _subscriberHost = await HubTestHost.Start(_infrastructure.Settings(),
            new TestEndpoint(_subscriber, e => e.Recording<Hl7v2MessageAccepted>(_recorder), typeof(Hl7v2MessageAccepted)));
    }

    public async Task DisposeAsync()
    {
        await _subscriberHost.DisposeAsync();
        await _infrastructure.DisposeAsync();
    }

    [Fact]
    public async Task Messages_acked_AA_survive_kill_9_and_unacked_resends_are_handed_on_once()
    {
        var controlIds = Enumerable.Range(0, Senders).Select(s => Enumerable.Range(0, MessagesPerSender).Select(m => $"K9-{s}-{m:D4}").ToArray()).ToArray();
        var acked = new ConcurrentDictionary<string, bool>();

        using (var first = StartEndpoint("clinical#1"))
        try
        {
            await WaitForListener(first);
            using var killed = new CancellationTokenSource();
            var sending = controlIds.Select(ids => Task.Run(() => SendUntilCut(ids, acked, killed.Token))).ToArray();
            await Eventually.Until(() => acked.Count >= KillAfterAcks || sending.All(t => t.IsCompleted), Patience,
                $"{KillAfterAcks} messages ACKed AA before the kill");
            first.Kill(entireProcessTree: true); // SIGKILL: no shutdown, no flush
            await first.WaitForExitAsync();
            await killed.CancelAsync();
            await Task.WhenAll(sending);
        }
        finally
        {
            await Stop(first);
        }
        var pendingInOutbox = await PendingOutboxRows();
        output.WriteLine($"killed after {acked.Count} AAs; {pendingInOutbox} hand-offs committed but not yet sent at the kill");

        using (var second = StartEndpoint("clinical#2"))
        try
        {
            await WaitForListener(second);
            // The senders send again what they had no AA for — and, as a sender that lost its log would, a few they had.
            var resend = controlIds.SelectMany(ids => ids).Where(id => !acked.ContainsKey(id)).ToList();
            var repeated = acked.Keys.Order(StringComparer.Ordinal).Take(10).ToList();
            foreach (var batch in resend.Concat(repeated).Chunk(50))
                await SendAll(batch);

            var all = controlIds.SelectMany(ids => ids).ToHashSet(StringComparer.Ordinal);
            await Eventually.Until(() => _recorder.OfType<Hl7v2MessageAccepted>().Select(m => m.ControlId).ToHashSet().IsSupersetOf(all), Patience,
                $"all {all.Count} messages handed on (so far {_recorder.OfType<Hl7v2MessageAccepted>().Select(m => m.ControlId).Distinct().Count()})");
            // Barrier: one more message, sent last; once it is handed on, everything the resends led to has been too.
            await SendAll(["K9-BARRIER"]);
            await _recorder.WaitFor<Hl7v2MessageAccepted>(m => m.ControlId == "K9-BARRIER", Patience);

            var handOffs = _recorder.OfType<Hl7v2MessageAccepted>().Where(m => all.Contains(m.ControlId))
                .GroupBy(m => m.ControlId).ToDictionary(g => g.Key, g => g.Select(m => m.MessageId).Distinct().Count());
            Assert.All(acked.Keys, id => Assert.True(handOffs.ContainsKey(id), $"{id} was ACKed AA before the kill and never handed on"));
            Assert.Empty(handOffs.Where(h => h.Value != 1).Select(h => $"{h.Key} handed on {h.Value} times"));
            output.WriteLine($"{resend.Count} resent after the restart, {repeated.Count} ACKed ones repeated; every message handed on exactly once");
        }
        finally
        {
            await Stop(second);
        }
    }

    /// <summary>Ends an endpoint process the test started, whatever state the test left it in.</summary>
    static async Task Stop(Process process)
    {
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
    }

    /// <summary>Sends <paramref name="ids"/> in order on one connection, each after the previous one's ACK, until the endpoint dies.</summary>
    async Task SendUntilCut(string[] ids, ConcurrentDictionary<string, bool> acked, CancellationToken killed)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, _port, killed);
            var stream = client.GetStream();
            foreach (var id in ids)
            {
                if (await Exchange(stream, id, killed) == "AA") acked[id] = true;
                else return;
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
        {
            // the endpoint was killed: what was not ACKed is sent again later
        }
    }

    async Task SendAll(IEnumerable<string> ids)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, _port);
        var stream = client.GetStream();
        foreach (var id in ids)
            Assert.Equal("AA", await Exchange(stream, id, CancellationToken.None));
    }

    /// <summary>One MLLP exchange: the frame out, the ACK's MSA-1 back (null when the connection ended first).</summary>
    static async Task<string?> Exchange(NetworkStream stream, string controlId, CancellationToken cancellationToken)
    {
        var message = $"MSH|^~\\&|WARD|CITYHOSP|HUB|GOV|20261202101500||ADT^A04^ADT_A01|{controlId}|P|2.5.1\r" +
                      "EVN|A04|20261202101500\rPID|1||MRN-1^^^CITYHOSP^MR||KHAN^AYESHA||19870412|F\rPV1|1|O|OPD\r";
        await stream.WriteAsync((byte[])[0x0B, .. Encoding.ASCII.GetBytes(message), 0x1C, 0x0D], cancellationToken);
        var ack = new List<byte>();
        var buffer = new byte[4096];
        while (!(ack.Count >= 2 && ack[^2] == 0x1C && ack[^1] == 0x0D))
        {
            var read = await stream.ReadAsync(buffer, cancellationToken);
            if (read == 0) return null;
            ack.AddRange(buffer.AsSpan(0, read));
        }
        var msa = Encoding.ASCII.GetString([.. ack]).Split('\r').First(s => s.StartsWith("MSA|", StringComparison.Ordinal)).Split('|');
        return msa[2] == controlId ? msa[1] : throw new InvalidOperationException($"ACK for {msa[2]} where {controlId} was sent");
    }

    Process StartEndpoint(string label)
    {
        var start = ProgramRun.StartInfo(BuiltPrograms.Dll("ClinicalDll") ?? throw new InvalidOperationException("The test assembly names no ClinicalDll"));
        var settings = _infrastructure.Settings();
        settings["Hub:Auth:DevSigningKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48));
        settings["Hub:JsonLogs"] = "false";
        settings["Hub:Departments:health:RequestsPerMinute"] = "100000";
        settings["Hub:Clinical:Hl7v2:Departments:health:Senders:0"] = "WARD^CITYHOSP";
        settings["Hub:Clinical:Hl7v2:Mllp:Listeners:ward:Port"] = _port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Hub:Clinical:Hl7v2:Mllp:Listeners:ward:Address"] = "127.0.0.1";
        settings["Hub:Clinical:Hl7v2:Mllp:Listeners:ward:Department"] = "health";
        settings["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        foreach (var (key, value) in settings)
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is { } line) Log(label, line); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) Log(label, line); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    readonly ConcurrentQueue<string> _log = new();

    void Log(string label, string line)
    {
        _log.Enqueue($"[{label}] {line}");
        while (_log.Count > 200) _log.TryDequeue(out _);
    }

    async Task WaitForListener(Process process)
    {
        await Eventually.Until(async () =>
        {
            if (process.HasExited)
                throw new InvalidOperationException($"the Clinical endpoint exited ({process.ExitCode}): {string.Join("\n", _log)}");
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, _port);
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }, Patience, $"the MLLP listener answers on port {_port}");
    }

    async Task<long> PendingOutboxRows()
    {
        await using var connection = new NpgsqlConnection(_infrastructure.PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM hub.outbox WHERE endpoint = @endpoint", connection);
        command.Parameters.AddWithValue("endpoint", IntegrationHub.Clinical.ClinicalEndpoint.EndpointName);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
