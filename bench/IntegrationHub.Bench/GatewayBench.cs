using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using IntegrationHub.Gateway;
using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using RabbitMQ.Client;

namespace IntegrationHub.Bench;

/// <summary>One HTTP round: requests per second and the latency of each request.</summary>
public sealed record HttpRound(double Rate, double P50Ms, double P99Ms, int Errors, CpuSplit Cpu);

/// <summary>An HTTP server on a loopback port that accepts <c>POST /api/v1/requests</c>.</summary>
public interface IGatewayScenario : IAsyncDisposable
{
    string Name { get; }

    /// <summary>Starts the server; returns the URL to POST to.</summary>
    Task<Uri> Start();
}

/// <summary>
/// Bare Kestrel + minimal API: reads the body (same size limit), parses it with <see cref="JsonDocument"/> and checks
/// 'service' and 'payload' as the gateway does, publishes the body with RabbitMQ.Client 7 (persistent, mandatory,
/// confirmed, quorum queue) and answers 202 with a small JSON body. No authentication, no database.
/// </summary>
public sealed class BareKestrelScenario(string rabbitMq, string queue) : IGatewayScenario
{
    WebApplication? _app;
    IConnection? _connection;
    IChannel? _channel;

    public string Name => "baseline";

    public async Task<Uri> Start()
    {
        var factory = new ConnectionFactory { Uri = new Uri(rabbitMq) };
        _connection = await factory.CreateConnectionAsync("bench-gw-baseline");
        _channel = await _connection.CreateChannelAsync(new CreateChannelOptions(
            publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        await _channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" });

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Production", Args = [] });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IHostLifetime, NoSignalLifetime>();
        _app = builder.Build();
        var channel = _channel;
        var properties = new BasicProperties { Persistent = true, ContentType = "application/json" };
        _app.MapPost("/api/v1/requests", async (HttpContext http) =>
        {
            using var buffer = new MemoryStream();
            await http.Request.Body.CopyToAsync(buffer, http.RequestAborted);
            if (buffer.Length > 256 * 1024)
                return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
            var body = buffer.ToArray();
            using (var document = JsonDocument.Parse(body))
            {
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object
                    || !root.TryGetProperty("service", out var service) || service.ValueKind != JsonValueKind.String
                    || !root.TryGetProperty("payload", out var payload) || payload.ValueKind != JsonValueKind.Object)
                    return Results.BadRequest();
            }
            // returns once the broker has confirmed the message (confirm tracking on)
            await channel.BasicPublishAsync("", queue, mandatory: true, properties, body);
            var id = Guid.NewGuid().ToString("N");
            return Results.Accepted($"/api/v1/requests/{id}", new { requestId = id, status = "Accepted" });
        });
        await _app.StartAsync();
        return new Uri(_app.Urls.First().TrimEnd('/') + "/api/v1/requests");
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync(TimeSpan.FromSeconds(10));
            await _app.DisposeAsync();
        }
        if (_channel is not null) await _channel.DisposeAsync();
        if (_connection is not null) await _connection.DisposeAsync();
    }
}

/// <summary>
/// The gateway as its Program.cs composes it (<c>AddServiceDefaults</c>, <c>AddHubEndpoint&lt;GatewayEndpoint&gt;</c>,
/// <c>MapServiceDefaults</c>, <c>MapHubEndpoints</c>) on Kestrel, RabbitMQ transport, PostgreSQL persistence, dev-key JWT authentication.
/// </summary>
public sealed class GatewayScenario(IDictionary<string, string?> settings) : IGatewayScenario
{
    WebApplication? _app;

    public string Name => "gateway";

    public async Task<Uri> Start()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = "Production",
            Args = ["--urls", "http://127.0.0.1:0"],
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddSingleton<IHostLifetime, NoSignalLifetime>();
        builder.AddServiceDefaults();
        builder.AddHubEndpoint<GatewayEndpoint>();
        _app = builder.Build();
        _app.MapServiceDefaults();
        _app.MapHubEndpoints();
        await _app.StartAsync();
        return new Uri(_app.Urls.First().TrimEnd('/') + "/api/v1/requests");
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync(TimeSpan.FromSeconds(10));
            await _app.DisposeAsync();
        }
    }
}

/// <summary>C concurrent POSTs over a pooled HttpClient; every answer must be 202.</summary>
public sealed class LoadGenerator : IDisposable
{
    readonly HttpClient _client;
    readonly byte[] _body;
    readonly string? _token;

    public LoadGenerator(int concurrency, byte[] body, string? token)
    {
        _client = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = concurrency,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            UseProxy = false,
            AllowAutoRedirect = false,
        })
        { Timeout = TimeSpan.FromSeconds(60) };
        _body = body;
        _token = token;
    }

    public async Task<HttpRound> Run(Uri url, int n, int concurrency, string name)
    {
        var latencies = new double[n];
        var errors = 0;
        string? firstError = null;
        var cpu = new CpuMeter();
        var stopwatch = Stopwatch.StartNew();
        await Measure.Concurrently(n, concurrency, async i =>
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(_body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                if (_token is not null)
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
                // the default completion option reads the whole response body before returning
                using var response = await _client.SendAsync(request);
                if (response.StatusCode != HttpStatusCode.Accepted)
                {
                    Interlocked.Increment(ref errors);
                    Interlocked.CompareExchange(ref firstError,
                        $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}", null);
                }
            }
            catch (Exception exception)
            {
                Interlocked.Increment(ref errors);
                Interlocked.CompareExchange(ref firstError, $"{exception.GetType().Name}: {exception.Message}", null);
            }
            latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        });
        var elapsed = stopwatch.Elapsed;
        var cpuPerRequest = cpu.PerItem(n);
        if (errors > n / 100)
            throw new InvalidOperationException(
                $"{name}: {errors} of {n} requests did not answer 202 (more than 1 %), round aborted. First: {Trim(firstError)}");
        if (errors > 0)
            Console.WriteLine($"   {name}: {errors} of {n} requests did not answer 202. First: {Trim(firstError)}");
        Array.Sort(latencies);
        return new HttpRound(n / elapsed.TotalSeconds, Percentile(latencies, 0.50), Percentile(latencies, 0.99), errors, cpuPerRequest);
    }

    static string? Trim(string? text) => text is { Length: > 300 } ? text[..300] + "…" : text;

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    static double Percentile(double[] sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    public void Dispose() => _client.Dispose();
}

/// <summary>Mean size of the gateway's group commits (metric <c>hub.group_commit.size</c>) since the last <see cref="Take"/>.</summary>
public sealed class GroupSizeMeter : IDisposable
{
    readonly System.Diagnostics.Metrics.MeterListener _listener = new();
    long _groups, _items;

    public GroupSizeMeter()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == IntegrationHub.Hosting.Observability.HubMetrics.MeterName && instrument.Name == "hub.group_commit.size")
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<int>((_, items, _, _) =>
        {
            Interlocked.Increment(ref _groups);
            Interlocked.Add(ref _items, items);
        });
        _listener.Start();
    }

    public double Take()
    {
        var groups = Interlocked.Exchange(ref _groups, 0);
        var items = Interlocked.Exchange(ref _items, 0);
        return groups == 0 ? double.NaN : (double)items / groups;
    }

    public void Dispose() => _listener.Dispose();
}

public static class GatewayBench
{
    /// <summary>The gateway's commands to providers go here (<c>IntegrationHub.Contracts.Providers.Commands</c>).</summary>
    const string ProvidersQueue = "hub.providers";

    public static async Task<BenchResult> Run(BenchOptions options)
    {
        var id = Measure.RunId;
        var database = $"hub_bench_gw_{id}";
        var postgres = new NpgsqlConnectionStringBuilder(options.Postgres) { Database = database }.ConnectionString;
        var rawQueue = $"bench.gwraw.{id}";
        var errorQueue = $"bench.error.gw.{id}";
        var gatewayQueue = HubEndpoint.QueueNameOf(GatewayEndpoint.EndpointName);
        var department = $"bench{id}";
        var signingKey = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)); // 64 bytes
        var token = DevTokens.Create(signingKey, department, [GatewayScopes.Write.Name], TimeSpan.FromHours(2));
        var body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
        {
            service = "echo",
            payload = new
            {
                reference = "bench-0001",
                subject = new { name = "Ada Lovelace", born = "1815-12-10", country = "GB" },
                text = Measure.Payload(200),
                items = new[] { 1, 2, 3, 4, 5 },
            },
        }));

        Console.WriteLine($"== gateway: N={options.Requests} requests per round, C={options.Clients} concurrent, rounds={options.Rounds}, " +
                          $"warm-up={options.Warmup}, body {body.Length} bytes, database {database} (run {id})");
        await Admin(options.Postgres, $"CREATE DATABASE {database}");
        var (createdProviders, createdGateway, providersBefore) = await Prepare(options.RabbitMq, gatewayQueue);
        if (providersBefore > 0)
            Console.WriteLine($"   WARNING: {ProvidersQueue} already holds {providersBefore:N0} messages (an earlier run?). A broker holding many " +
                              "messages is slower for every scenario; delete the queue for comparable figures.");
        IGatewayScenario[] scenarios =
        [
            new BareKestrelScenario(options.RabbitMq, rawQueue),
            new GatewayScenario(new Dictionary<string, string?>
            {
                ["Hub:Transport"] = "RabbitMq",
                ["Hub:Persistence"] = "PostgreSql",
                ["Hub:ErrorQueue"] = errorQueue,
                ["Hub:JsonLogs"] = "false",
                ["Hub:Auth:DevSigningKey"] = signingKey,
                ["Hub:Development:AllowOutsideDevelopment"] = "true", // the dev key, in a Production-like process
                [$"Hub:Departments:{department}:RequestsPerMinute"] = "1000000000",
                ["Hub:Gateway:Services:echo:Provider"] = "echo",
                ["ConnectionStrings:RabbitMq"] = options.RabbitMq,
                ["ConnectionStrings:Postgres"] = postgres,
                ["Serilog:MinimumLevel:Default"] = "Warning",
                ["Serilog:MinimumLevel:Override:Rebus"] = "Warning",
            }),
        ];
        var result = new BenchResult("gateway", "req/s", scenarios.Select(s => s.Name).ToArray());
        var latencies = new List<HttpRound[]>();
        var groupSizes = new List<double>();
        var accepted = 0L;
        try
        {
            var urls = new Uri[scenarios.Length];
            for (var i = 0; i < scenarios.Length; i++)
                urls[i] = await scenarios[i].Start();
            using var load = new LoadGenerator(options.Clients, body, token);
            using var groups = new GroupSizeMeter();

            for (var i = 0; i < scenarios.Length; i++)
            {
                var scenario = i;
                await JitWarmup.UntilSettled(async batch =>
                {
                    var warm = await load.Run(urls[scenario], options.Warmup, options.Clients, scenarios[scenario].Name + " warm-up");
                    if (scenario == 1) accepted += options.Warmup - warm.Errors;
                    return $"   warm-up {batch} {scenarios[scenario].Name,-10} {warm.Rate,10:N0} req/s  p50 {warm.P50Ms,7:0.0} ms  p99 {warm.P99Ms,7:0.0} ms";
                });
            }

            for (var round = 1; round <= options.Rounds; round++)
            {
                var rounds = new HttpRound[scenarios.Length];
                for (var i = 0; i < scenarios.Length; i++)
                {
                    groups.Take();
                    rounds[i] = await load.Run(urls[i], options.Requests, options.Clients, $"round {round} {scenarios[i].Name}");
                    var groupSize = groups.Take();
                    if (!double.IsNaN(groupSize)) groupSizes.Add(groupSize);
                    if (i == 1) accepted += options.Requests - rounds[i].Errors;
                    Console.WriteLine($"   round {round} {scenarios[i].Name,-10} {rounds[i].Rate,10:N0} req/s  " +
                                      $"p50 {rounds[i].P50Ms,7:0.0} ms  p99 {rounds[i].P99Ms,7:0.0} ms  non-202 {rounds[i].Errors}  {rounds[i].Cpu}" +
                                      (double.IsNaN(groupSize) ? "" : $"  group commit {groupSize:0.0} requests"));
                }
                result.Rounds.Add(rounds.Select(r => r.Rate).ToArray());
                latencies.Add(rounds);
            }

            // 202 means the ForwardRequest was committed and sent: each accepted request is one message in hub.providers
            var inQueue = await MessageCount(options.RabbitMq, ProvidersQueue) - providersBefore;
            result.Notes.Add($"{ProvidersQueue} holds {inQueue:N0} ForwardRequest messages for {accepted:N0} requests the gateway accepted" +
                             (inQueue == accepted ? " (all there)." : " (MISMATCH)."));
        }
        finally
        {
            foreach (var scenario in scenarios)
                await scenario.DisposeAsync();
            NpgsqlConnection.ClearAllPools();
            var queues = new List<string> { rawQueue, errorQueue };
            if (createdProviders) queues.Add(ProvidersQueue);
            else Console.Error.WriteLine($"cleanup: {ProvidersQueue} existed before the run and is left in place (with the benchmark's messages)");
            if (createdGateway) queues.Add(gatewayQueue);
            await Broker.Delete(options.RabbitMq, queues, []);
            await Admin(options.Postgres, $"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
        }

        var errors = scenarios.Select((_, s) => latencies.Sum(r => r[s].Errors)).ToArray();
        result.Notes.Add("");
        result.Notes.Add("| latency (ms) | " + string.Join(" | ", scenarios.Select(s => $"{s.Name} p50 | {s.Name} p99")) + " |");
        result.Notes.Add("|---|" + string.Concat(scenarios.Select(_ => "---:|---:|")));
        for (var r = 0; r < latencies.Count; r++)
            result.Notes.Add($"| round {r + 1} | " + string.Join(" | ", latencies[r].Select(x => $"{x.P50Ms:0.0} | {x.P99Ms:0.0}")) + " |");
        result.Notes.Add("| **median** | " + string.Join(" | ", scenarios.Select((_, s) =>
            $"**{Measure.Median(latencies.Select(r => r[s].P50Ms)):0.0}** | **{Measure.Median(latencies.Select(r => r[s].P99Ms)):0.0}**")) + " |");
        result.Notes.Add("");
        result.Notes.Add("| CPU per request (ms, median of rounds) | this process | postgres | rabbitmq | other | total |");
        result.Notes.Add("|---|---:|---:|---:|---:|---:|");
        for (var s = 0; s < scenarios.Length; s++)
        {
            double Median(Func<CpuSplit, double> part) => Measure.Median(latencies.Select(r => part(r[s].Cpu)));
            result.Notes.Add($"| {scenarios[s].Name} | {Median(c => c.Bench):0.00} | {Median(c => c.Postgres):0.00} | " +
                             $"{Median(c => c.RabbitMq):0.00} | {Median(c => c.Other):0.00} | {Median(c => c.Total):0.00} |");
        }
        if (groupSizes.Count > 0)
            result.Notes.Add($"\nrequests per group commit (median of rounds): {Measure.Median(groupSizes):0.0}");
        result.Notes.Add("");
        result.Notes.Add("non-202 answers in the measured rounds: " + string.Join(", ", scenarios.Select((s, i) => $"{s.Name} {errors[i]}")));
        return result;
    }

    /// <summary>
    /// Declares <c>hub.providers</c> as a quorum queue if it is missing (nobody consumes it here; the gateway's mandatory
    /// send needs it) and notes whether <c>hub.gateway</c> exists, so only what this run created is deleted at the end.
    /// </summary>
    static async Task<(bool CreatedProviders, bool CreatedGateway, long ProvidersBefore)> Prepare(string rabbitMq, string gatewayQueue)
    {
        var factory = new ConnectionFactory { Uri = new Uri(rabbitMq) };
        await using var connection = await factory.CreateConnectionAsync("bench-gw-setup");
        var providersExisted = await Exists(connection, ProvidersQueue);
        var gatewayExisted = await Exists(connection, gatewayQueue);
        long before = 0;
        await using (var channel = await connection.CreateChannelAsync())
        {
            var ok = await channel.QueueDeclareAsync(ProvidersQueue, durable: true, exclusive: false, autoDelete: false,
                arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" });
            before = ok.MessageCount;
        }
        return (!providersExisted, !gatewayExisted, before);
    }

    static async Task<bool> Exists(IConnection connection, string queue)
    {
        try
        {
            // a failed passive declare closes the channel, so each check gets its own
            await using var channel = await connection.CreateChannelAsync();
            await channel.QueueDeclarePassiveAsync(queue);
            return true;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return false;
        }
    }

    static async Task<long> MessageCount(string rabbitMq, string queue)
    {
        var factory = new ConnectionFactory { Uri = new Uri(rabbitMq) };
        await using var connection = await factory.CreateConnectionAsync("bench-gw-count");
        await using var channel = await connection.CreateChannelAsync();
        return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
    }

    static async Task Admin(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
