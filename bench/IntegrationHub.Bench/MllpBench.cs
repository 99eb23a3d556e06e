using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using IntegrationHub.Adapters.Mllp;
using IntegrationHub.Clinical;
using IntegrationHub.Clinical.Hl7v2;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RabbitMQ.Client;

namespace IntegrationHub.Bench;

/// <summary>
/// MLLP messages ACKed per second, C connections sending one message after another, in two scenarios over the same client:
/// <c>raw</c> (the baseline) reads a frame, makes one confirmed RabbitMQ publish to a quorum queue and answers a fixed
/// ACK (MSA-2 spliced in); <c>hub</c> is the Clinical endpoint's listener on RabbitMQ + PostgreSQL — parse, check the
/// sender and the required segments, commit the message's key with its <c>Hl7v2MessageAccepted</c> in the outbox (group
/// commit), send it, then ACK. Its event is routed to a quorum queue too.
/// </summary>
public static class MllpBench
{
    const int Raw = 0, Hub = 1;

    public static async Task<BenchResult> Run(BenchOptions options)
    {
        var id = Measure.RunId;
        var database = $"hub_bench_mllp_{id}";
        var postgres = new NpgsqlConnectionStringBuilder(options.Postgres) { Database = database }.ConnectionString;
        var rawQueue = $"bench.mllpraw.{id}";
        var hubEvents = $"bench.mllpev.{id}";
        var connections = Math.Min(options.Clients, 64);
        var perRound = options.Requests;
        Console.WriteLine($"== mllp: N={perRound} messages per round, {connections} connections, rounds={options.Rounds}, database {database} (run {id})");
        await GatewayBench.Admin(options.Postgres, $"CREATE DATABASE {database}");
        var factory = new ConnectionFactory { Uri = new Uri(options.RabbitMq) };
        await using var broker = await factory.CreateConnectionAsync("bench-mllp");
        await using (var setup = await broker.CreateChannelAsync())
            await setup.QueueDeclareAsync(rawQueue, durable: true, exclusive: false, autoDelete: false,
                arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" });

        var result = new BenchResult("mllp", "messages/s", ["raw", "hub"]);
        await using var raw = new RawMllpServer(broker, rawQueue);
        HubHost? hub = null;
        try
        {
            hub = await HubHost.Start(new Dictionary<string, string?>
            {
                ["Hub:Transport"] = "RabbitMq",
                ["Hub:Persistence"] = "PostgreSql",
                ["Hub:JsonLogs"] = "false",
                ["ConnectionStrings:RabbitMq"] = options.RabbitMq,
                ["ConnectionStrings:Postgres"] = postgres,
                ["Hub:Departments:bench:RequestsPerMinute"] = "1000000",
                ["Hub:Clinical:Hl7v2:Departments:bench:Senders:0"] = "BENCH^*",
                ["Hub:Clinical:Hl7v2:Mllp:Listeners:bench:Port"] = "0",
                ["Hub:Clinical:Hl7v2:Mllp:Listeners:bench:Address"] = "127.0.0.1",
                ["Hub:Clinical:Hl7v2:Mllp:Listeners:bench:Department"] = "bench",
                ["Hub:Clinical:Hl7v2:Mllp:MaxConnections"] = (connections + 8).ToString(System.Globalization.CultureInfo.InvariantCulture),
            }, new ClinicalEndpoint());
            await BindEvents(broker, hubEvents);
            var ports = new[] { raw.Port, hub.Services.GetRequiredService<MllpListeners>().Ports["bench"] };

            var sequence = 0;
            async Task<double> Round(int scenario, int messages) => await Send(ports[scenario], connections, messages, () => Interlocked.Increment(ref sequence));
            for (var scenario = 0; scenario < 2; scenario++)
                await Round(scenario, Math.Max(connections * 100, 10_000)); // warm-up (tiered JIT, pools, group commit)
            for (var round = 0; round < options.Rounds; round++)
            {
                var rates = new double[2];
                foreach (var scenario in round % 2 == 0 ? new[] { Raw, Hub } : [Hub, Raw])
                    rates[scenario] = await Round(scenario, perRound);
                result.Rounds.Add(rates);
                Console.WriteLine($"mllp round {round + 1}: raw {rates[Raw]:0}, hub {rates[Hub]:0} messages/s ({rates[Hub] / rates[Raw]:0.00}x)");
            }
            result.Notes.Add($"{perRound} ADT^A04 per round and scenario over {connections} connections, each waiting for its ACK before the next; " +
                             $"hub / raw: {BenchResult.FormatRatio(result.Ratio(Hub))} (target ≥ 0.6x).");
        }
        finally
        {
            if (hub is not null) await hub.DisposeAsync();
            await using (var cleanup = await broker.CreateChannelAsync())
            {
                await cleanup.QueueDeleteAsync(rawQueue);
                await cleanup.QueueDeleteAsync(hubEvents);
            }
            await GatewayBench.DropDatabase(options.Postgres, database);
        }
        return result;
    }

    static async Task BindEvents(IConnection broker, string queue)
    {
        await using var channel = await broker.CreateChannelAsync();
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" });
        var topic = Rebus.Extensions.TypeExtensions.GetSimpleAssemblyQualifiedName(typeof(IntegrationHub.Contracts.Clinical.Events.Hl7v2MessageAccepted));
        await channel.QueueBindAsync(queue, "hub.events", topic);
    }

    /// <summary><paramref name="messages"/> ADT^A04 over <paramref name="connections"/> MLLP clients; every ACK must be AA.</summary>
    static async Task<double> Send(int port, int connections, int messages, Func<int> next)
    {
        var clients = Enumerable.Range(0, connections)
            .Select(_ => new MllpClient(new MllpClientOptions { Host = "127.0.0.1", Port = port, MaxAttempts = 1 })).ToList();
        try
        {
            var left = messages;
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(clients.Select(async client =>
            {
                while (Interlocked.Decrement(ref left) >= 0)
                {
                    var n = next();
                    var message = Encoding.ASCII.GetBytes(
                        $"MSH|^~\\&|BENCH|BENCHHOSP|HUB|GOV|20261202101500||ADT^A04^ADT_A01|B{Measure.RunId}{n:D9}|P|2.5.1\r" +
                        "EVN|A04|20261202101500\rPID|1||MRN-1^^^BENCHHOSP^MR~35202-1234567-1^^^NADRA^NI||KHAN^AYESHA^^^^^L||19870412|F\r" +
                        "PV1|1|O|OPD^^^BENCHHOSP||||1234^RAZA^ALI\r");
                    var delivery = await client.SendOnce(message, CancellationToken.None);
                    if (delivery.Outcome != MllpOutcome.Accepted)
                        throw new InvalidOperationException($"message {n}: {delivery.Outcome} {delivery.AckCode} {delivery.Detail}");
                }
            }));
            return messages / clock.Elapsed.TotalSeconds;
        }
        finally
        {
            foreach (var client in clients) await client.DisposeAsync();
        }
    }

    /// <summary>The least an MLLP receiver that ACKs only what the broker holds can do: frame in, confirmed publish, ACK out.</summary>
    sealed class RawMllpServer : IAsyncDisposable
    {
        readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        readonly IConnection _broker;
        readonly string _queue;
        readonly CancellationTokenSource _stop = new();
        readonly Task _accepting;

        public RawMllpServer(IConnection broker, string queue)
        {
            _broker = broker;
            _queue = queue;
            _listener.Start(512);
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _accepting = Accept();
        }

        public int Port { get; }

        async Task Accept()
        {
            try
            {
                while (true)
                {
                    var socket = await _listener.AcceptSocketAsync(_stop.Token);
                    _ = Serve(socket);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
        }

        async Task Serve(Socket socket)
        {
            socket.NoDelay = true;
            await using var stream = new NetworkStream(socket, ownsSocket: true);
            await using var channel = await _broker.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
            var properties = new BasicProperties { Persistent = true };
            var buffer = new byte[64 * 1024];
            var filled = 0;
            try
            {
                while (true)
                {
                    var read = await stream.ReadAsync(buffer.AsMemory(filled), _stop.Token);
                    if (read == 0) return;
                    filled += read;
                    int end;
                    while ((end = Array.IndexOf(buffer, (byte)0x1C, 0, filled)) >= 0 && end + 1 < filled)
                    {
                        var frame = buffer.AsMemory(1, end - 1).ToArray();
                        await channel.BasicPublishAsync("", _queue, mandatory: true, properties, frame, _stop.Token);
                        var controlId = Encoding.ASCII.GetString(frame).Split('\r')[0].Split('|')[9];
                        await stream.WriteAsync(Encoding.ASCII.GetBytes($"\vMSH|^~\\&|HUB|GOV|BENCH|BENCHHOSP|20261202||ACK^A04^ACK|R{controlId}|P|2.5.1\rMSA|AA|{controlId}\r\x1c\r"), _stop.Token);
                        Buffer.BlockCopy(buffer, end + 2, buffer, 0, filled - end - 2);
                        filled -= end + 2;
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or SocketException)
            {
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _accepting;
        }
    }
}
