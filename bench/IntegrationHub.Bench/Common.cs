using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using IntegrationHub.Hosting;
using RabbitMQ.Client;

namespace IntegrationHub.Bench;

/// <summary>Command line: <c>bus|saga|all [--messages N] [--rounds R] [--concurrency C] ...</c>.</summary>
public sealed record BenchOptions(
    string Scenario,
    int Messages,
    int Rounds,
    int Concurrency,
    int Warmup,
    int Sagas,
    IReadOnlyList<int> InFlight,
    int Steps,
    int Requests,
    int Clients,
    string RabbitMq,
    string Postgres,
    int FhirMegabytes = 50,
    int FhirValidate = 1000)
{
    public const string Usage = """
        usage: dotnet run -c Release --project bench/IntegrationHub.Bench -- <bus|saga|gateway|fhir|hl7|hl7fhir|fidelius|mllp|receipts|all> [options]
          --messages N     bus: messages per round and scenario (default 20000)
          --rounds R       measured rounds, the scenarios interleaved in each (default 3)
          --concurrency C  bus: concurrent in-flight sends (default 100)
          --warmup W       bus: warm-up messages per scenario; gateway: warm-up batch of W requests per scenario,
                           repeated until the JIT settles (fewer than 100 methods compiled in a batch) (default 1000)
          --sagas S        saga: sagas per round, at least twice the in-flight count (default 200)
          --inflight K,..  saga: the points of the curve, sagas in flight at once (default 32,128,512); each sets the
                           endpoint's parallelism to min(K, 64), prefetch to twice that, and the pool to parallelism + 16
          --steps M        saga: Step messages per saga after its Start (default 10)
          --requests N     gateway: HTTP requests per round and scenario; mllp: messages; receipts: captures, at most 5000 (default 5000)
          --clients C      gateway: concurrent HTTP requests; mllp: connections, at most 64 (default 64)
          --fhir-mb M      fhir: size of the bundle, in MB of JSON at least (default 50)
          --fhir-validate V  fhir: resources validated per round (default 1000)
        environment: ConnectionStrings__RabbitMq, ConnectionStrings__Postgres (defaults: local guest / hub);
                     BENCH_ONLY=hub,raw runs only the bus scenarios named (to profile one; no ratios without raw)
        """;

    public static BenchOptions Parse(string[] args)
    {
        if (args.Length == 0 || args[0] is not ("bus" or "saga" or "gateway" or "fhir" or "hl7" or "hl7fhir" or "fidelius" or "mllp" or "receipts" or "all"))
            throw new ArgumentException("first argument must be bus, saga, gateway, fhir, hl7, hl7fhir, fidelius, mllp, receipts or all");

        var values = new Dictionary<string, int>
        {
            ["--messages"] = 20_000, ["--rounds"] = 3, ["--concurrency"] = 100, ["--warmup"] = 1_000,
            ["--sagas"] = 200, ["--steps"] = 10, ["--requests"] = 5_000, ["--clients"] = 64,
            ["--fhir-mb"] = 50, ["--fhir-validate"] = 1_000,
        };
        IReadOnlyList<int> inFlight = [32, 128, 512];
        for (var i = 1; i < args.Length; i++)
        {
            if (args[i] == "--inflight" && i + 1 < args.Length)
            {
                var points = args[++i].Split(',').Select(p => int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out var k) ? k : 0).ToList();
                if (points.Count == 0 || points.Any(k => k < 1))
                    throw new ArgumentException($"--inflight takes positive numbers separated by commas, not {args[i]}");
                inFlight = points;
                continue;
            }
            if (!values.ContainsKey(args[i]) || i + 1 >= args.Length
                || !int.TryParse(args[i + 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < 1)
                throw new ArgumentException($"unknown option or missing/invalid value: {args[i]}");
            values[args[i]] = value;
            i++;
        }

        return new BenchOptions(args[0], values["--messages"], values["--rounds"], values["--concurrency"], values["--warmup"],
            values["--sagas"], inFlight, values["--steps"], values["--requests"], values["--clients"],
            Environment.GetEnvironmentVariable("ConnectionStrings__RabbitMq") ?? HubOptions.DefaultRabbitMq,
            Environment.GetEnvironmentVariable("ConnectionStrings__Postgres") ?? HubOptions.DefaultPostgres,
            values["--fhir-mb"], values["--fhir-validate"]);
    }
}

/// <summary>Counts handled messages and completes when a target is reached.</summary>
public sealed class Countdown
{
    int _count;
    int _target = int.MaxValue;
    TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Reset(int target)
    {
        Volatile.Write(ref _count, 0);
        _done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _target, target);
    }

    public int Count => Volatile.Read(ref _count);

    public void Signal()
    {
        if (Interlocked.Increment(ref _count) == Volatile.Read(ref _target))
            _done.TrySetResult();
    }

    public async Task Wait(TimeSpan timeout, string what)
    {
        var done = _done.Task;
        if (await Task.WhenAny(done, Task.Delay(timeout)) != done)
            throw new TimeoutException($"{what}: only {Count} of {_target} after {timeout.TotalSeconds:0} s");
    }
}

public static class Measure
{
    public static readonly TimeSpan RoundTimeout = TimeSpan.FromMinutes(3);

    /// <summary>Runs <paramref name="send"/> for 0..n-1 with at most <paramref name="concurrency"/> calls in flight.</summary>
    public static Task Concurrently(int n, int concurrency, Func<int, Task> send)
    {
        var next = -1;
        return Task.WhenAll(Enumerable.Range(0, Math.Min(n, concurrency)).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < n)
                await send(i);
        })));
    }

    /// <summary>Items per second from the start of <paramref name="run"/> until it completes.</summary>
    public static async Task<double> Rate(int items, Func<Task> run)
    {
        var stopwatch = Stopwatch.StartNew();
        await run();
        return items / stopwatch.Elapsed.TotalSeconds;
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    public static string Payload(int size) => new('x', size);

    public static string RunId { get; } = Guid.NewGuid().ToString("N")[..8];
}

/// <summary>An endpoint assembled in code: a name and its handlers.</summary>
public sealed class BenchEndpoint(string name, Action<HubEndpointBuilder> configure) : HubEndpoint
{
    public override string Name => name;

    public override void Configure(HubEndpointBuilder endpoint) => configure(endpoint);
}

/// <summary>The hub's own hosting (generic host + <c>AddHubEndpoint</c>) with settings chosen by the benchmark.</summary>
public sealed class HubHost : IAsyncDisposable
{
    readonly IHost _host;

    HubHost(IHost host) => _host = host;

    public IServiceProvider Services => _host.Services;

    public Rebus.Bus.IBus Bus(string endpointName) => _host.Services.GetRequiredService<HubBusRegistry>().Get(endpointName);

    public static async Task<HubHost> Start(IDictionary<string, string?> settings, params HubEndpoint[] endpoints)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Production", Args = [] });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("IntegrationHub.Hosting.HubStartup", LogLevel.Error); // the NOT DURABLE notice of InMemory storage
        // no console lifetime: Ctrl+C / SIGTERM end the benchmark instead of only stopping this host
        builder.Services.AddSingleton<IHostLifetime, NoSignalLifetime>();
        foreach (var endpoint in endpoints)
            builder.AddHubEndpoint(endpoint);
        var host = builder.Build();
        await host.StartAsync();
        return new HubHost(host);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync(TimeSpan.FromSeconds(10));
        _host.Dispose();
    }
}

sealed class NoSignalLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Declares nothing; deletes what a run created.</summary>
public static class Broker
{
    public static async Task Delete(string connectionString, IEnumerable<string> queues, IEnumerable<string> exchanges)
    {
        var factory = new ConnectionFactory { Uri = new Uri(connectionString) };
        await using var connection = await factory.CreateConnectionAsync("bench-cleanup");
        foreach (var queue in queues)
            await BestEffort(connection, c => c.QueueDeleteAsync(queue, ifUnused: false, ifEmpty: false), $"queue {queue}");
        foreach (var exchange in exchanges)
            await BestEffort(connection, c => c.ExchangeDeleteAsync(exchange, ifUnused: false), $"exchange {exchange}");
    }

    static async Task BestEffort(IConnection connection, Func<IChannel, Task> action, string what)
    {
        try
        {
            // a failed delete closes the channel, so each delete gets its own
            await using var channel = await connection.CreateChannelAsync();
            await action(channel);
        }
        catch (Exception exception)
        {
            Console.Error.WriteLine($"cleanup: could not delete {what}: {exception.Message}");
        }
    }
}

/// <summary>
/// CPU time used on this machine between two snapshots, by process name (from /proc), so a benchmark can say where
/// each request's CPU goes: this process (load generator and server), PostgreSQL, RabbitMQ, everything else.
/// Processes that start or end between the snapshots are counted for the part that was seen.
/// </summary>
public sealed class CpuMeter
{
    static readonly double TicksPerMs = 100.0 / 1000; // USER_HZ is 100 on Linux
    readonly Dictionary<int, (string Name, long Ticks)> _start = Snapshot();

    public static bool Available => File.Exists("/proc/stat");

    /// <summary>CPU milliseconds per item since construction: this process, postgres, beam.smp (RabbitMQ), others.</summary>
    public CpuSplit PerItem(int items)
    {
        var end = Snapshot();
        var self = Environment.ProcessId;
        double bench = 0, postgres = 0, rabbit = 0, other = 0;
        foreach (var (pid, (name, ticks)) in end)
        {
            var used = ticks - (_start.TryGetValue(pid, out var before) ? before.Ticks : 0);
            var ms = used / TicksPerMs;
            if (pid == self) bench += ms;
            else if (name == "postgres") postgres += ms;
            else if (name == "beam.smp") rabbit += ms;
            else other += ms;
        }
        return new CpuSplit(bench / items, postgres / items, rabbit / items, other / items);
    }

    static Dictionary<int, (string, long)> Snapshot()
    {
        var result = new Dictionary<int, (string, long)>();
        if (!Available) return result;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var open = stat.IndexOf('(');
                var close = stat.LastIndexOf(')');
                var fields = stat[(close + 2)..].Split(' ');
                // fields[11], [12] are utime and stime (fields 14 and 15 of proc(5), counted from after the name)
                result[pid] = (stat[(open + 1)..close], long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture));
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return result;
    }
}

/// <summary>
/// Warm-up until the JIT settles: tiered compilation keeps recompiling hot methods for thousands of operations, and a
/// round measured before it settles measures the JIT (it hurt the hub's first round far more than the others').
/// </summary>
public static class JitWarmup
{
    /// <summary>Batches run until fewer methods than this are JIT-compiled during one (at most <see cref="MaxBatches"/>).</summary>
    const int Threshold = 100;
    const int MaxBatches = 12;

    /// <param name="batch">Runs warm-up batch number n (from 1) and returns the line to print for it.</param>
    public static async Task UntilSettled(Func<int, Task<string>> batch)
    {
        for (var n = 1; ; n++)
        {
            var before = System.Runtime.JitInfo.GetCompiledMethodCount();
            var line = await batch(n);
            var jitted = System.Runtime.JitInfo.GetCompiledMethodCount() - before;
            Console.WriteLine($"{line}  {jitted} methods compiled");
            if (jitted < Threshold || n == MaxBatches) return;
        }
    }
}

/// <summary>CPU milliseconds per item, by where they were spent.</summary>
public sealed record CpuSplit(double Bench, double Postgres, double RabbitMq, double Other)
{
    public double Total => Bench + Postgres + RabbitMq + Other;
    public override string ToString() =>
        ToString("req");

    public string ToString(string item) =>
        $"cpu/{item} {Total:0.000} ms (this process {Bench:0.000}, postgres {Postgres:0.000}, rabbitmq {RabbitMq:0.000}, other {Other:0.000})";

}

/// <summary>The repository the benchmark runs from (its golden files and corpora), else the current directory.</summary>
public static class Repository
{
    public static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "IntegrationHub.sln")))
                return dir.FullName;
        return Directory.GetCurrentDirectory();
    }
}

/// <summary>Single-thread scenarios over one input: warmed up (tiered JIT), then each timed over the same iterations per round.</summary>
public static class OneThreadRates
{
    public static void Measure(BenchResult result, Func<int>[] scenarios, int iterations, int warmup, BenchOptions options)
    {
        foreach (var scenario in scenarios)
            for (var i = 0; i < warmup; i++) scenario();
        for (var round = 0; round < options.Rounds; round++)
        {
            var rates = scenarios.Select(scenario =>
            {
                var sink = 0;
                var clock = System.Diagnostics.Stopwatch.StartNew();
                for (var i = 0; i < iterations; i++) sink += scenario();
                GC.KeepAlive(sink);
                return iterations / clock.Elapsed.TotalSeconds;
            }).ToArray();
            result.Rounds.Add(rates);
            Console.WriteLine($"{result.Benchmark} round {round + 1}: " + string.Join(", ", result.Scenarios.Zip(rates, (s, r) => $"{s} {r:0}")));
        }
    }
}
