using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Security.Cryptography;
using System.Text.Json;
using System.Threading.Channels;
using IntegrationHub.Gateway;
using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Security;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;
using Npgsql;
using NpgsqlTypes;
using RabbitMQ.Client;

namespace IntegrationHub.Bench;

static class WebApps
{
    /// <summary>Stops (10 s grace) and disposes a scenario's web app, if it was started.</summary>
    public static async Task Stop(WebApplication? app)
    {
        if (app is null) return;
        await app.StopAsync(TimeSpan.FromSeconds(10));
        await app.DisposeAsync();
    }
}

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
        await WebApps.Stop(_app);
        if (_channel is not null) await _channel.DisposeAsync();
        if (_connection is not null) await _connection.DisposeAsync();
    }
}

/// <summary>
/// The gateway's durable work with no hub code: bare Kestrel (<c>CreateSlimBuilder</c>), ASP.NET's JWT bearer
/// authentication with the gateway's dev-key validation parameters and a policy for the scope <c>requests:write</c>,
/// the same body check, then a <b>group commit</b> (<see cref="DurableGroupWriter"/>): the request joins the queue,
/// one writer task commits up to <see cref="DurableGroupWriter.MaxGroup"/> waiting requests in one transaction —
/// their status rows and idempotency keys, set-based, into tables shaped like the hub's (<c>bench_gw.*</c>) — and
/// each request awaits its group. Then two confirmed persistent publishes per request (a ForwardRequest-like command
/// and a RequestAccepted-like event, Rebus-like headers, each into a quorum queue of its own), then 202 with a small
/// JSON body and a <c>Location</c>. There is no outbox: the 202 waits for both confirms instead. A key used before
/// answers the stored request (<c>Idempotent-Replayed: true</c>), 422 with another body, and sends nothing.
/// </summary>
public sealed class DurableBaselineScenario(string rabbitMq, string postgres, string signingKey, string commandQueue, string eventQueue)
    : IGatewayScenario
{
    const string Route = "POST /api/v1/requests";
    const string WriteScope = "requests:write";
    const int MaxRequestBytes = 256 * 1024;

    /// <summary>The hub's status-resource tables (hub migration 0005), the columns and indexes a new request touches.</summary>
    const string Schema = """
        CREATE SCHEMA IF NOT EXISTS bench_gw;
        CREATE TABLE IF NOT EXISTS bench_gw.status_resources (
            id          text                     NOT NULL PRIMARY KEY,
            kind        text                     NOT NULL,
            department  text                     NOT NULL,
            status      text                     NOT NULL,
            status_rank smallint                 NOT NULL,
            accepted_at timestamp with time zone NOT NULL,
            updated_at  timestamp with time zone NOT NULL,
            ended_at    timestamp with time zone NULL,
            attributes  jsonb                    NOT NULL DEFAULT '{}'::jsonb,
            result      text                     NULL,
            error       text                     NULL
        );
        CREATE INDEX IF NOT EXISTS status_resources_department_idx ON bench_gw.status_resources (department, kind, accepted_at);
        CREATE INDEX IF NOT EXISTS status_resources_ended_idx ON bench_gw.status_resources (kind, ended_at) WHERE ended_at IS NOT NULL;
        CREATE INDEX IF NOT EXISTS status_resources_unfinished_idx ON bench_gw.status_resources (kind, updated_at) WHERE ended_at IS NULL;
        CREATE TABLE IF NOT EXISTS bench_gw.idempotency_keys (
            department      text                     NOT NULL,
            route           text                     NOT NULL,
            idempotency_key text                     NOT NULL,
            kind            text                     NOT NULL,
            resource_id     text                     NOT NULL REFERENCES bench_gw.status_resources (id) ON DELETE CASCADE,
            body_hash       text                     NOT NULL,
            created_at      timestamp with time zone NOT NULL,
            PRIMARY KEY (department, route, idempotency_key)
        );
        CREATE INDEX IF NOT EXISTS idempotency_keys_created_idx ON bench_gw.idempotency_keys (kind, created_at);
        CREATE INDEX IF NOT EXISTS idempotency_keys_resource_idx ON bench_gw.idempotency_keys (resource_id);
        """;

    WebApplication? _app;
    IConnection? _connection;
    IChannel? _channel;
    NpgsqlDataSource? _database;
    DurableGroupWriter? _writer;

    public string Name => "durable-baseline";

    /// <summary>Mean requests per group commit since the last call (NaN: none).</summary>
    public double TakeGroupSize() => _writer?.TakeMeanGroup() ?? double.NaN;

    public async Task<Uri> Start()
    {
        // the Npgsql settings the hub uses by default (HubHostingExtensions.WithAutoPrepare)
        _database = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(postgres)
        {
            MaxAutoPrepare = 32, AutoPrepareMinUsages = 2, NoResetOnClose = true,
        }.ConnectionString);
        await using (var connection = await _database.OpenConnectionAsync())
        await using (var create = new NpgsqlCommand(Schema, connection))
            await create.ExecuteNonQueryAsync();
        _writer = new DurableGroupWriter(_database);

        var factory = new ConnectionFactory { Uri = new Uri(rabbitMq) };
        _connection = await factory.CreateConnectionAsync("bench-gw-durable-baseline");
        _channel = await _connection.CreateChannelAsync(new CreateChannelOptions(
            publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        foreach (var queue in new[] { commandQueue, eventQueue })
            await _channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false,
                arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" });

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Production", Args = [] });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IHostLifetime, NoSignalLifetime>();
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(jwt =>
        {
            // what the hub configures for its dev key (HubAuthentication.Configure)
            jwt.MapInboundClaims = false;
            jwt.TokenValidationParameters.NameClaimType = "sub";
            jwt.TokenValidationParameters.ClockSkew = TimeSpan.FromSeconds(30);
            jwt.TokenValidationParameters.ValidIssuer = DevTokens.Issuer;
            jwt.TokenValidationParameters.ValidAudience = DevTokens.Audience;
            jwt.TokenValidationParameters.IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(signingKey));
            jwt.TokenValidationParameters.ValidAlgorithms = [SecurityAlgorithms.HmacSha256];
        });
        builder.Services.AddAuthorization(authorization => authorization.AddPolicy(WriteScope, policy => policy
            .RequireAuthenticatedUser()
            .RequireClaim("department")
            .RequireAssertion(context => context.User.FindFirst("scope")?.Value.Split(' ').Contains(WriteScope) == true)));
        _app = builder.Build();
        _app.UseAuthentication();
        _app.UseAuthorization();
        _app.MapPost("/api/v1/requests", (Func<HttpContext, Task<IResult>>)Submit).RequireAuthorization(WriteScope);
        await _app.StartAsync();
        return new Uri(_app.Urls.First().TrimEnd('/') + "/api/v1/requests");
    }

    async Task<IResult> Submit(HttpContext http)
    {
        var department = http.User.FindFirst("department")!.Value.ToLowerInvariant();
        string? key = null;
        if (http.Request.Headers.TryGetValue("Idempotency-Key", out var keys))
        {
            key = keys.ToString();
            if (keys.Count != 1 || key.Length is 0 or > 255 || key.Any(c => c is < '\x20' or > '\x7e'))
                return Results.BadRequest();
        }

        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer, http.RequestAborted);
        if (buffer.Length > MaxRequestBytes)
            return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
        var body = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        string service, payload;
        using (var document = JsonDocument.Parse(body))
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("service", out var serviceValue) || serviceValue.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("payload", out var payloadValue) || payloadValue.ValueKind != JsonValueKind.Object)
                return Results.BadRequest();
            service = serviceValue.GetString()!;
            payload = payloadValue.GetRawText();
        }
        if (service != "echo")
            return Results.UnprocessableEntity();

        var request = new DurableRequest("req_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), department, service, key,
            Convert.ToHexStringLower(SHA256.HashData(body.Span)), DateTimeOffset.UtcNow);
        if (!await _writer!.Submit(request))
            return await Replay(http, request);

        // committed: now the two messages, each confirmed by the broker before the 202 (there is no outbox)
        var command = JsonSerializer.SerializeToUtf8Bytes(new { request.Id, Tenant = department, service, Provider = "echo", Payload = payload, At = request.AcceptedAt });
        var accepted = JsonSerializer.SerializeToUtf8Bytes(new { request.Id, Tenant = department, service, At = request.AcceptedAt });
        var channel = _channel!;
        await Task.WhenAll(
            channel.BasicPublishAsync("", commandQueue, mandatory: true, Properties(request, "IntegrationHub.Contracts.Providers.Commands.ForwardRequest, IntegrationHub.Contracts"), command).AsTask(),
            channel.BasicPublishAsync("", eventQueue, mandatory: true, Properties(request, "IntegrationHub.Contracts.Requests.Events.RequestAccepted, IntegrationHub.Contracts"), accepted).AsTask());
        return Accepted(request.Id, "accepted");
    }

    /// <summary>An idempotency key the department used before: the stored request, or 422 with another body; nothing is sent.</summary>
    async Task<IResult> Replay(HttpContext http, DurableRequest request)
    {
        await using var find = _database!.CreateCommand("""
            SELECT k.resource_id, k.body_hash, r.status
            FROM bench_gw.idempotency_keys k JOIN bench_gw.status_resources r ON r.id = k.resource_id
            WHERE k.department = $1 AND k.route = $2 AND k.idempotency_key = $3
            """);
        find.Parameters.Add(new NpgsqlParameter { Value = request.Department });
        find.Parameters.Add(new NpgsqlParameter { Value = Route });
        find.Parameters.Add(new NpgsqlParameter { Value = request.IdempotencyKey! });
        await using var reader = await find.ExecuteReaderAsync();
        if (!await reader.ReadAsync())
            return Results.Conflict();
        if (reader.GetString(1) != request.BodyHash)
            return Results.UnprocessableEntity();
        http.Response.Headers["Idempotent-Replayed"] = "true";
        return Accepted(reader.GetString(0), reader.GetString(2));
    }

    static IResult Accepted(string id, string status)
    {
        var url = $"/api/v1/requests/{id}";
        return Results.Accepted(url, new { requestId = id, status, statusUrl = url });
    }

    /// <summary>Persistent, with about the AMQP properties and header table the hub's transport gives a Rebus message.</summary>
    static BasicProperties Properties(DurableRequest request, string type)
    {
        var messageId = Guid.NewGuid().ToString();
        var sent = request.AcceptedAt.ToString("O", CultureInfo.InvariantCulture);
        return new BasicProperties
        {
            Persistent = true,
            MessageId = messageId,
            Type = type,
            CorrelationId = request.Id,
            ContentType = "application/json;charset=utf-8",
            AppId = "Gateway",
            Timestamp = new AmqpTimestamp(request.AcceptedAt.ToUnixTimeSeconds()),
            Headers = new Dictionary<string, object?>
            {
                ["rbs2-msg-id"] = messageId,
                ["rbs2-msg-type"] = type,
                ["rbs2-corr-id"] = request.Id,
                ["rbs2-corr-seq"] = "0",
                ["rbs2-content-type"] = "application/json;charset=utf-8",
                ["rbs2-senttime"] = sent,
                ["rbs2-sender-address"] = "hub.gateway",
                ["hub-tenant"] = request.Department,
                ["hub-sending-endpoint"] = "Gateway",
            },
        };
    }

    public async ValueTask DisposeAsync()
    {
        await WebApps.Stop(_app);
        if (_writer is not null) await _writer.DisposeAsync();
        if (_database is not null) await _database.DisposeAsync();
        if (_channel is not null) await _channel.DisposeAsync();
        if (_connection is not null) await _connection.DisposeAsync();
    }
}

/// <summary>A new request of <see cref="DurableBaselineScenario"/>: its status row and, with a key, its idempotency key.</summary>
public sealed record DurableRequest(string Id, string Department, string Service, string? IdempotencyKey, string BodyHash, DateTimeOffset AcceptedAt);

/// <summary>
/// The durable baseline's group commit, as simple as it gets: requests queue up, one writer task on one connection
/// takes up to <see cref="MaxGroup"/> of them, writes their rows with one batch of two set-based inserts
/// (<c>unnest</c>) and commits, and then answers each: stored, or not (its idempotency key was taken). With a single
/// caller it is an ordinary transaction; while one commit runs, the next group fills.
/// </summary>
public sealed class DurableGroupWriter : IAsyncDisposable
{
    public const int MaxGroup = 200;

    sealed record Entry(DurableRequest Request, TaskCompletionSource<bool> Stored);

    readonly NpgsqlDataSource _database;
    readonly Channel<Entry> _queue = Channel.CreateUnbounded<Entry>(new UnboundedChannelOptions { SingleReader = true });
    readonly Task _writer;
    long _groups, _items;

    public DurableGroupWriter(NpgsqlDataSource database)
    {
        _database = database;
        _writer = Task.Run(Write);
    }

    public Task<bool> Submit(DurableRequest request)
    {
        var entry = new Entry(request, new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(entry))
            throw new InvalidOperationException("The durable baseline is stopping; nothing was stored.");
        return entry.Stored.Task;
    }

    public double TakeMeanGroup()
    {
        var groups = Interlocked.Exchange(ref _groups, 0);
        var items = Interlocked.Exchange(ref _items, 0);
        return groups == 0 ? double.NaN : (double)items / groups;
    }

    async Task Write()
    {
        var group = new List<Entry>(MaxGroup);
        NpgsqlConnection? connection = null;
        while (await _queue.Reader.WaitToReadAsync())
        {
            group.Clear();
            while (group.Count < MaxGroup && _queue.Reader.TryRead(out var entry)) group.Add(entry);
            if (group.Count == 0) continue;
            try
            {
                connection ??= await _database.OpenConnectionAsync();
                var stored = await Commit(connection, group);
                for (var i = 0; i < group.Count; i++) group[i].Stored.TrySetResult(stored[i]);
                Interlocked.Increment(ref _groups);
                Interlocked.Add(ref _items, group.Count);
            }
            catch (Exception exception)
            {
                foreach (var entry in group) entry.Stored.TrySetException(exception);
                if (connection is not null) await connection.DisposeAsync();
                connection = null;
            }
        }
        if (connection is not null) await connection.DisposeAsync();
    }

    static async Task<bool[]> Commit(NpgsqlConnection connection, List<Entry> group)
    {
        var requests = group.Select(e => e.Request).ToList();
        // keys in one order, so that groups sharing keys would wait for each other instead of deadlocking
        var keyed = requests.Where(r => r.IdempotencyKey is not null).OrderBy(r => r.IdempotencyKey, StringComparer.Ordinal).ToList();
        await using var transaction = await connection.BeginTransactionAsync();
        await using var batch = new NpgsqlBatch(connection, transaction);
        var insertRequests = new NpgsqlBatchCommand("""
            INSERT INTO bench_gw.status_resources (id, kind, department, status, status_rank, accepted_at, updated_at, attributes)
            SELECT r.id, 'request', r.department, 'accepted', 0, r.at, r.at, r.attributes
            FROM unnest(@ids, @departments, @ats, @attributes) AS r(id, department, at, attributes)
            """);
        insertRequests.Parameters.AddWithValue("ids", requests.Select(r => r.Id).ToArray());
        insertRequests.Parameters.AddWithValue("departments", requests.Select(r => r.Department).ToArray());
        insertRequests.Parameters.AddWithValue("ats", requests.Select(r => r.AcceptedAt).ToArray());
        insertRequests.Parameters.Add(new NpgsqlParameter("attributes", NpgsqlDbType.Array | NpgsqlDbType.Jsonb)
        {
            Value = requests.Select(r => "{\"service\":" + JsonSerializer.Serialize(r.Service) + "}").ToArray(),
        });
        batch.BatchCommands.Add(insertRequests);
        if (keyed.Count > 0)
        {
            // a key already taken (earlier, or earlier in this group) inserts nothing: only the stored come back
            var insertKeys = new NpgsqlBatchCommand("""
                INSERT INTO bench_gw.idempotency_keys (department, route, idempotency_key, kind, resource_id, body_hash, created_at)
                SELECT k.department, 'POST /api/v1/requests', k.key, 'request', k.id, k.hash, k.at
                FROM unnest(@departments, @keys, @ids, @hashes, @ats) WITH ORDINALITY AS k(department, key, id, hash, at, n)
                ORDER BY k.n
                ON CONFLICT DO NOTHING
                RETURNING resource_id
                """);
            insertKeys.Parameters.AddWithValue("departments", keyed.Select(r => r.Department).ToArray());
            insertKeys.Parameters.AddWithValue("keys", keyed.Select(r => r.IdempotencyKey!).ToArray());
            insertKeys.Parameters.AddWithValue("ids", keyed.Select(r => r.Id).ToArray());
            insertKeys.Parameters.AddWithValue("hashes", keyed.Select(r => r.BodyHash).ToArray());
            insertKeys.Parameters.AddWithValue("ats", keyed.Select(r => r.AcceptedAt).ToArray());
            batch.BatchCommands.Add(insertKeys);
        }

        var keysTaken = new HashSet<string>(StringComparer.Ordinal);
        await using (var reader = await batch.ExecuteReaderAsync())
        {
            do
            {
                while (await reader.ReadAsync()) keysTaken.Add(reader.GetString(0));
            } while (await reader.NextResultAsync());
        }
        var stored = requests.Select(r => r.IdempotencyKey is null || keysTaken.Contains(r.Id)).ToArray();
        var refused = requests.Where((_, i) => !stored[i]).Select(r => r.Id).ToArray();
        if (refused.Length > 0)
        {
            await using var remove = new NpgsqlCommand("DELETE FROM bench_gw.status_resources WHERE id = ANY(@ids)", connection, transaction);
            remove.Parameters.AddWithValue("ids", refused);
            await remove.ExecuteNonQueryAsync();
        }
        await transaction.CommitAsync();
        return stored;
    }

    /// <summary>Commits what was queued, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer;
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
        await WebApps.Stop(_app);
    }
}

/// <summary>
/// C concurrent POSTs over a pooled HttpClient; every answer must be 202. Each request carries an
/// <c>Idempotency-Key</c> of its own (never repeated within a run), so the gateway and the durable baseline store one.
/// </summary>
public sealed class LoadGenerator : IDisposable
{
    static long _keys;
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
                request.Headers.Add("Idempotency-Key", $"bench-{Measure.RunId}-{Interlocked.Increment(ref _keys)}");
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

    /// <summary>The exchange the hub publishes events to (<c>Hub:Transport</c> default).</summary>
    const string EventsExchange = "hub.events";

    /// <summary>Scenario order in each round; the first (the bare baseline) is the base of the table's ratio row.</summary>
    const int Bare = 0, Durable = 1, Gateway = 2;

    public static async Task<BenchResult> Run(BenchOptions options)
    {
        var id = Measure.RunId;
        var database = $"hub_bench_gw_{id}";
        var postgres = new NpgsqlConnectionStringBuilder(options.Postgres) { Database = database }.ConnectionString;
        var rawQueue = $"bench.gwraw.{id}";
        var durableCommands = $"bench.gwdur.{id}";
        var durableEvents = $"bench.gwdurev.{id}";
        var gatewayEvents = $"bench.gwev.{id}";
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
        var durable = new DurableBaselineScenario(options.RabbitMq, postgres, signingKey, durableCommands, durableEvents);
        IGatewayScenario[] scenarios =
        [
            new BareKestrelScenario(options.RabbitMq, rawQueue),
            durable,
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
        var gatewayGroups = new List<double>();
        var durableGroups = new List<double>();
        var accepted = new long[scenarios.Length];
        try
        {
            var urls = new Uri[scenarios.Length];
            for (var i = 0; i < scenarios.Length; i++)
                urls[i] = await scenarios[i].Start();
            // Nobody in the hub subscribes to RequestAccepted, so on its own it would go nowhere; a subscriber's quorum queue
            // stores it, as the durable baseline's second message is stored (hub.events exists: the gateway declared it).
            await BindEvents(options.RabbitMq, gatewayEvents);
            foreach (var scenario in new[] { Durable, Gateway })
            {
                await CheckReplay(urls[scenario], scenarios[scenario].Name, token, body);
                accepted[scenario]++;
            }
            using var load = new LoadGenerator(options.Clients, body, token);
            using var groups = new GroupSizeMeter();

            for (var i = 0; i < scenarios.Length; i++)
            {
                var scenario = i;
                await JitWarmup.UntilSettled(async batch =>
                {
                    var warm = await load.Run(urls[scenario], options.Warmup, options.Clients, scenarios[scenario].Name + " warm-up");
                    accepted[scenario] += options.Warmup - warm.Errors;
                    return $"   warm-up {batch} {scenarios[scenario].Name,-16} {warm.Rate,10:N0} req/s  p50 {warm.P50Ms,7:0.0} ms  p99 {warm.P99Ms,7:0.0} ms";
                });
            }

            for (var round = 1; round <= options.Rounds; round++)
            {
                var rounds = new HttpRound[scenarios.Length];
                for (var i = 0; i < scenarios.Length; i++)
                {
                    groups.Take();
                    durable.TakeGroupSize();
                    rounds[i] = await load.Run(urls[i], options.Requests, options.Clients, $"round {round} {scenarios[i].Name}");
                    var groupSize = i switch { Gateway => groups.Take(), Durable => durable.TakeGroupSize(), _ => double.NaN };
                    if (!double.IsNaN(groupSize)) (i == Gateway ? gatewayGroups : durableGroups).Add(groupSize);
                    accepted[i] += options.Requests - rounds[i].Errors;
                    Console.WriteLine($"   round {round} {scenarios[i].Name,-16} {rounds[i].Rate,10:N0} req/s  " +
                                      $"p50 {rounds[i].P50Ms,7:0.0} ms  p99 {rounds[i].P99Ms,7:0.0} ms  non-202 {rounds[i].Errors}  {rounds[i].Cpu}" +
                                      (double.IsNaN(groupSize) ? "" : $"  group commit {groupSize:0.0} requests"));
                }
                result.Rounds.Add(rounds.Select(r => r.Rate).ToArray());
                latencies.Add(rounds);
            }

            // 202 means the request was committed, so each accepted request is one message in each of its queues (the
            // gateway's may still be on their way from the outbox: it answers after the commit, before the sends)
            await Task.Delay(TimeSpan.FromSeconds(2));
            async Task Check(string queue, long before, int scenario, string what)
            {
                var count = await MessageCount(options.RabbitMq, queue) - before;
                result.Notes.Add($"{queue} holds {count:N0} {what} messages for {accepted[scenario]:N0} requests {scenarios[scenario].Name} accepted" +
                                 (count == accepted[scenario] ? " (all there)." : " (MISMATCH)."));
            }
            await Check(ProvidersQueue, providersBefore, Gateway, "ForwardRequest");
            await Check(gatewayEvents, 0, Gateway, "RequestAccepted");
            await Check(durableCommands, 0, Durable, "command");
            await Check(durableEvents, 0, Durable, "event");
        }
        finally
        {
            foreach (var scenario in scenarios)
                await scenario.DisposeAsync();
            NpgsqlConnection.ClearAllPools();
            var queues = new List<string> { rawQueue, durableCommands, durableEvents, gatewayEvents, errorQueue };
            if (createdProviders) queues.Add(ProvidersQueue);
            else Console.Error.WriteLine($"cleanup: {ProvidersQueue} existed before the run and is left in place (with the benchmark's messages)");
            if (createdGateway) queues.Add(gatewayQueue);
            await Broker.Delete(options.RabbitMq, queues, []);
            await DropDatabase(options.Postgres, database);
        }

        var errors = scenarios.Select((_, s) => latencies.Sum(r => r[s].Errors)).ToArray();
        double PerRound(Func<HttpRound[], double> ratio) => Measure.Median(latencies.Select(ratio));
        result.Notes.Add("");
        result.Notes.Add($"**gateway / durable-baseline** (median of per-round ratios): rate **{BenchResult.FormatRatio(result.Ratio(Gateway, Durable))}** " +
                         $"(target ≥ 0.60x), p99 **{BenchResult.FormatRatio(PerRound(r => r[Gateway].P99Ms / r[Durable].P99Ms))}** (target ≤ 2.00x), " +
                         $"p50 {BenchResult.FormatRatio(PerRound(r => r[Gateway].P50Ms / r[Durable].P50Ms))}; per round: " +
                         string.Join(", ", latencies.Select(r => $"{r[Gateway].Rate / r[Durable].Rate:0.00}x / p99 {r[Gateway].P99Ms / r[Durable].P99Ms:0.00}x")));
        result.Notes.Add($"durable-baseline / baseline: rate {BenchResult.FormatRatio(result.Ratio(Durable, Bare))}; " +
                         $"gateway / baseline: rate {BenchResult.FormatRatio(result.Ratio(Gateway, Bare))}");
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
        result.Notes.Add($"\nrequests per group commit (median of rounds): durable-baseline {Measure.Median(durableGroups):0.0}, " +
                         $"gateway {Measure.Median(gatewayGroups):0.0}");
        result.Notes.Add("");
        result.Notes.Add("non-202 answers in the measured rounds: " + string.Join(", ", scenarios.Select((s, i) => $"{s.Name} {errors[i]}")));
        return result;
    }

    /// <summary>
    /// A key sent twice answers the first request again (202, same <c>Location</c>, <c>Idempotent-Replayed: true</c>) and
    /// with another body 422: the load never repeats a key, so this checks once that both durable scenarios would.
    /// </summary>
    static async Task CheckReplay(Uri url, string name, string token, byte[] body)
    {
        using var client = new HttpClient();
        var key = $"bench-replay-{Measure.RunId}";
        async Task<HttpResponseMessage> Post(byte[] content)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(content) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            request.Headers.Add("Idempotency-Key", key);
            return await client.SendAsync(request);
        }
        using var first = await Post(body);
        using var again = await Post(body);
        using var other = await Post(Encoding.UTF8.GetBytes("{\"service\":\"echo\",\"payload\":{\"other\":true}}"));
        var replayed = again.Headers.TryGetValues("Idempotent-Replayed", out var values) && values.Contains("true");
        if (first.StatusCode != HttpStatusCode.Accepted || again.StatusCode != HttpStatusCode.Accepted || !replayed
            || first.Headers.Location != again.Headers.Location || other.StatusCode != HttpStatusCode.UnprocessableEntity)
            throw new InvalidOperationException($"{name}: a repeated Idempotency-Key answered {(int)first.StatusCode}, {(int)again.StatusCode} " +
                                                $"(replayed: {replayed}, {first.Headers.Location} / {again.Headers.Location}), another body {(int)other.StatusCode}");
        Console.WriteLine($"   {name}: a repeated Idempotency-Key answers the stored request ({again.Headers.Location}), another body 422");
    }

    /// <summary>A quorum queue bound to <c>hub.events</c> for <c>RequestAccepted</c> (Rebus's topic: the type's simple assembly-qualified name).</summary>
    static async Task BindEvents(string rabbitMq, string queue)
    {
        var factory = new ConnectionFactory { Uri = new Uri(rabbitMq) };
        await using var connection = await factory.CreateConnectionAsync("bench-gw-events");
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" });
        var topic = Rebus.Extensions.TypeExtensions.GetSimpleAssemblyQualifiedName(typeof(IntegrationHub.Contracts.Requests.Events.RequestAccepted));
        await channel.QueueBindAsync(queue, EventsExchange, topic);
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

    /// <summary>
    /// Best effort, like the queues' cleanup, so that a failed drop does not lose the run's results. <c>WITH (FORCE)</c>
    /// fails while a session of another role is connected (another user's tool looking at every database), so it is
    /// retried a few times.
    /// </summary>
    internal static async Task DropDatabase(string connectionString, string database)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await Admin(connectionString, $"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
                return;
            }
            catch (PostgresException exception) when (attempt < 5)
            {
                Console.Error.WriteLine($"cleanup: could not drop database {database} ({exception.MessageText}); retrying");
                await Task.Delay(TimeSpan.FromSeconds(2));
            }
            catch (Exception exception)
            {
                Console.Error.WriteLine($"cleanup: could not drop database {database}: {exception.Message}; drop it by hand");
                return;
            }
        }
    }

    internal static async Task Admin(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
