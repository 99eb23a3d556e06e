using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace IntegrationHub.Testing;

/// <summary>Helpers for tests against the real RabbitMQ broker on loopback.</summary>
public static class RabbitMqBroker
{
    public const string DefaultConnectionString = IntegrationHub.Hosting.HubOptions.DefaultRabbitMq;

    /// <summary>From env <c>ConnectionStrings__RabbitMq</c>, default <see cref="DefaultConnectionString"/>.</summary>
    public static string ConnectionString =>
        Environment.GetEnvironmentVariable("ConnectionStrings__RabbitMq") is { Length: > 0 } configured ? configured : DefaultConnectionString;

    /// <summary>Management HTTP API base address (same host as the AMQP connection string, port 15672).</summary>
    public static Uri ManagementApi
    {
        get
        {
            var amqp = new Uri(ConnectionString);
            return new Uri($"http://{amqp.Host}:15672/api/");
        }
    }

    /// <summary>The connection string's virtual host, escaped for management API paths (<c>%2F</c> for the default).</summary>
    public static string VirtualHostPath => Uri.EscapeDataString(RabbitMqVirtualHost.VirtualHostOf(ConnectionString));

    /// <summary>A unique queue name: <c>test.&lt;guid8&gt;</c>.</summary>
    public static string NewQueueName(string prefix = "test") => $"{prefix}.{Guid.NewGuid().ToString("N")[..8]}";

    public static async Task<IConnection> ConnectAsync(string clientName = "integrationhub-tests")
    {
        var factory = new ConnectionFactory { Uri = new Uri(ConnectionString), ClientProvidedName = clientName };
        return await factory.CreateConnectionAsync(clientName).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="action"/> on a fresh connection and channel that are closed afterwards.</summary>
    public static async Task<T> WithChannelAsync<T>(Func<IChannel, Task<T>> action)
    {
        await using var connection = await ConnectAsync().ConfigureAwait(false);
        await using var channel = await connection.CreateChannelAsync().ConfigureAwait(false);
        var result = await action(channel).ConfigureAwait(false);
        if (channel.IsOpen) await channel.CloseAsync().ConfigureAwait(false);
        await connection.CloseAsync().ConfigureAwait(false);
        return result;
    }

    public static Task WithChannelAsync(Func<IChannel, Task> action) =>
        WithChannelAsync<bool>(async channel => { await action(channel).ConfigureAwait(false); return true; });

    /// <summary>Number of ready messages in <paramref name="queueName"/>, via a passive declare.</summary>
    public static Task<uint> CountMessagesAsync(string queueName) =>
        WithChannelAsync(async channel => (await channel.QueueDeclarePassiveAsync(queueName).ConfigureAwait(false)).MessageCount);

    public static async Task<bool> QueueExistsAsync(string queueName)
    {
        try
        {
            await CountMessagesAsync(queueName).ConfigureAwait(false);
            return true;
        }
        catch (OperationInterruptedException exception) when (exception.ShutdownReason?.ReplyCode == 404)
        {
            return false;
        }
    }

    /// <summary>Gets (and acks) the next message of a queue, or null when it is empty.</summary>
    public static Task<BasicGetResult?> GetAsync(string queueName) =>
        WithChannelAsync(channel => channel.BasicGetAsync(queueName, autoAck: true));

    public static Task DeleteQueueAsync(string queueName) =>
        WithChannelAsync(channel => channel.QueueDeleteAsync(queueName, ifUnused: false, ifEmpty: false));

    public static Task DeleteExchangeAsync(string exchangeName) =>
        WithChannelAsync(channel => channel.ExchangeDeleteAsync(exchangeName, ifUnused: false));

    /// <summary>Runs <c>rabbitmqctl close_all_connections &lt;reason&gt;</c> (closes every client connection of the broker).</summary>
    public static Task CloseAllConnectionsAsync(string reason) => RabbitMqCtlAsync("close_all_connections", reason);

    /// <summary>
    /// Ready and unacknowledged messages of a queue in the default virtual host, read by <c>rabbitmqctl</c> from the
    /// queue itself (the management API's figures lag by seconds); null when there is no such queue.
    /// </summary>
    public static async Task<(long Ready, long Unacked)?> ReadyAndUnackedAsync(string queue)
    {
        var output = await RabbitMqCtlAsync("list_queues", "-q", "--no-table-headers", "name", "messages_ready", "messages_unacknowledged").ConfigureAwait(false);
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var fields = line.Split('\t');
            if (fields.Length == 3 && fields[0] == queue)
                return (long.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture), long.Parse(fields[2], System.Globalization.CultureInfo.InvariantCulture));
        }
        return null;
    }

    static async Task<string> RabbitMqCtlAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("rabbitmqctl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start rabbitmqctl");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"rabbitmqctl {arguments[0]} failed with exit code {process.ExitCode}: {await stderr.ConfigureAwait(false)} {await stdout.ConfigureAwait(false)}");
        }
        return await stdout.ConfigureAwait(false);
    }

    /// <summary>GET on the management HTTP API (guest/guest unless the connection string says otherwise); null on 404.</summary>
    public static async Task<JsonDocument?> GetManagementJsonAsync(string relativePath)
    {
        using var http = CreateManagementClient();
        using var response = await http.GetAsync(relativePath).ConfigureAwait(false);
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound) return null;
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync().ConfigureAwait(false));
    }

    /// <summary>
    /// An HTTP client for the management API (<see cref="ManagementApi"/>), authenticated as the connection string's
    /// user (guest/guest when it names none). Paths are relative, e.g. <c>vhosts/%2F</c>.
    /// </summary>
    public static HttpClient CreateManagementClient()
    {
        var amqp = new Uri(ConnectionString);
        var userInfo = string.IsNullOrEmpty(amqp.UserInfo) ? "guest:guest" : Uri.UnescapeDataString(amqp.UserInfo);
        var http = new HttpClient { BaseAddress = ManagementApi, Timeout = TimeSpan.FromSeconds(15) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(userInfo)));
        return http;
    }

    /// <summary>Decodes an AMQP header-table value (strings arrive as byte[]).</summary>
    public static string? HeaderString(IReadOnlyBasicProperties properties, string key) =>
        properties.Headers != null && properties.Headers.TryGetValue(key, out var value)
            ? value switch { byte[] bytes => Encoding.UTF8.GetString(bytes), null => null, _ => value.ToString() }
            : null;
}

/// <summary>Tracks queues/exchanges created by one test and deletes them when disposed.</summary>
public sealed class RabbitMqTestScope : IAsyncDisposable
{
    readonly List<string> _queues = new();
    readonly List<string> _exchanges = new();

    public string Queue(string prefix = "test")
    {
        var name = RabbitMqBroker.NewQueueName(prefix);
        lock (_queues) _queues.Add(name);
        return name;
    }

    public string Exchange(string prefix = "test.events")
    {
        var name = RabbitMqBroker.NewQueueName(prefix);
        lock (_exchanges) _exchanges.Add(name);
        return name;
    }

    public void Track(string queueName)
    {
        lock (_queues) _queues.Add(queueName);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var queue in _queues.Distinct())
        {
            await BestEffortAsync(() => RabbitMqBroker.DeleteQueueAsync(queue), $"delete queue '{queue}'").ConfigureAwait(false);
        }
        foreach (var exchange in _exchanges.Distinct())
        {
            await BestEffortAsync(() => RabbitMqBroker.DeleteExchangeAsync(exchange), $"delete exchange '{exchange}'").ConfigureAwait(false);
        }
    }

    static async Task BestEffortAsync(Func<Task> action, string what)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await action().ConfigureAwait(false);
                return;
            }
            catch (Exception exception) when (attempt < 3)
            {
                Console.Error.WriteLine($"Test cleanup: could not {what} (attempt {attempt}): {exception.Message}; retrying");
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt)).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                Console.Error.WriteLine($"Test cleanup: gave up trying to {what}: {exception.Message}");
                return;
            }
        }
    }
}
