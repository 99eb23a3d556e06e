using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace IntegrationHub.Testing;

/// <summary>
/// A virtual host of the local broker, and what tests do in it (look into queues, publish raw messages).
/// <see cref="CreateAsync"/> makes a fresh one that belongs to one fixture and is deleted (queues, exchanges,
/// bindings and all) when disposed: endpoints whose queue names are fixed (<c>hub.gateway</c>, <c>hub.providers</c>,
/// <c>hub.error</c>, exchange <c>hub.events</c>) run there without meeting other tests or the hub itself.
/// <see cref="Shared"/> is the broker's default virtual host of <see cref="RabbitMqBroker.ConnectionString"/>, never deleted.
/// </summary>
public sealed class RabbitMqVirtualHost : IAsyncDisposable
{
    /// <summary>Prefix of the virtual hosts tests create (<c>rabbitmqctl list_vhosts</c> shows leftovers of killed runs).</summary>
    public const string TestPrefix = "hub-test/";

    readonly bool _owned;
    int _disposed;

    RabbitMqVirtualHost(string name, string connectionString, bool owned)
    {
        Name = name;
        ConnectionString = connectionString;
        _owned = owned;
    }

    /// <summary>The broker's default virtual host (whatever <see cref="RabbitMqBroker.ConnectionString"/> names).</summary>
    public static RabbitMqVirtualHost Shared { get; } = new(VirtualHostOf(RabbitMqBroker.ConnectionString), RabbitMqBroker.ConnectionString, owned: false);

    /// <summary>The virtual host's name, e.g. <c>hub-test/gateway-1a2b3c4d</c>.</summary>
    public string Name { get; }

    /// <summary>AMQP URI for <c>ConnectionStrings:RabbitMq</c>: the broker's, with this virtual host URL-encoded as its path.</summary>
    public string ConnectionString { get; }

    /// <summary>
    /// Creates virtual host <c>hub-test/&lt;label&gt;-&lt;guid8&gt;</c> with the management HTTP API (port 15672) and gives the
    /// connection string's user full permissions on it. The name contains a '/' on purpose: every run checks that the
    /// hub's transport takes a URL-encoded virtual host from its connection string.
    /// </summary>
    public static async Task<RabbitMqVirtualHost> CreateAsync(string label = "test")
    {
        var name = $"{TestPrefix}{label}-{Guid.NewGuid().ToString("N")[..8]}";
        var broker = new Uri(RabbitMqBroker.ConnectionString);
        var user = UserOf(broker);
        var created = string.Create(CultureInfo.InvariantCulture, $"{DateTimeOffset.UtcNow:O}");

        using var http = RabbitMqBroker.CreateManagementClient();
        await Ensure(await http.PutAsJsonAsync($"vhosts/{Uri.EscapeDataString(name)}",
            new { description = $"IntegrationHub test fixture, created {created} by process {Environment.ProcessId}; deleted when the fixture ends" }).ConfigureAwait(false),
            $"create virtual host '{name}'").ConfigureAwait(false);
        var host = new RabbitMqVirtualHost(name, WithVirtualHost(broker, name), owned: true);
        try
        {
            await Ensure(await http.PutAsJsonAsync($"permissions/{Uri.EscapeDataString(name)}/{Uri.EscapeDataString(user)}",
                new { configure = ".*", write = ".*", read = ".*" }).ConfigureAwait(false),
                $"give '{user}' permissions on virtual host '{name}'").ConfigureAwait(false);
        }
        catch
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return host;
    }

    /// <summary>Whether the broker has a virtual host of this name (management HTTP API).</summary>
    public async Task<bool> ExistsAsync()
    {
        using var document = await RabbitMqBroker.GetManagementJsonAsync($"vhosts/{Uri.EscapeDataString(Name)}").ConfigureAwait(false);
        return document is not null;
    }

    /// <summary>Runs <paramref name="action"/> on a fresh connection to this virtual host and a channel, closed afterwards.</summary>
    public async Task<T> WithChannelAsync<T>(Func<IChannel, Task<T>> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        var factory = new ConnectionFactory { Uri = new Uri(ConnectionString), ClientProvidedName = "integrationhub-tests" };
        await using var connection = await factory.CreateConnectionAsync("integrationhub-tests").ConfigureAwait(false);
        await using var channel = await connection.CreateChannelAsync().ConfigureAwait(false);
        var result = await action(channel).ConfigureAwait(false);
        if (channel.IsOpen) await channel.CloseAsync().ConfigureAwait(false);
        await connection.CloseAsync().ConfigureAwait(false);
        return result;
    }

    public Task WithChannelAsync(Func<IChannel, Task> action) =>
        WithChannelAsync<bool>(async channel => { await action(channel).ConfigureAwait(false); return true; });

    /// <summary>Ready messages in <paramref name="queue"/> (passive declare; the queue must exist).</summary>
    public Task<uint> CountMessagesAsync(string queue) =>
        WithChannelAsync(async channel => (await channel.QueueDeclarePassiveAsync(queue).ConfigureAwait(false)).MessageCount);

    /// <summary>Ready messages in <paramref name="queue"/>, or 0 when it was never declared.</summary>
    public async Task<uint> CountMessagesIfDeclaredAsync(string queue)
    {
        try
        {
            return await CountMessagesAsync(queue).ConfigureAwait(false);
        }
        catch (OperationInterruptedException exception) when (exception.ShutdownReason?.ReplyCode == 404)
        {
            return 0;
        }
    }

    /// <summary>Gets (and acks) the next message of a queue, or null when it is empty.</summary>
    public Task<BasicGetResult?> GetAsync(string queue) =>
        WithChannelAsync(channel => channel.BasicGetAsync(queue, autoAck: true));

    public Task DeleteQueueAsync(string queue) =>
        WithChannelAsync(channel => channel.QueueDeleteAsync(queue, ifUnused: false, ifEmpty: false));

    /// <summary>Deletes the virtual host if this fixture created it (a missing one is fine); the shared one is left alone.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_owned || Interlocked.Exchange(ref _disposed, 1) == 1) return;
        using var http = RabbitMqBroker.CreateManagementClient();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var response = await http.DeleteAsync($"vhosts/{Uri.EscapeDataString(Name)}").ConfigureAwait(false);
                if (response.StatusCode != HttpStatusCode.NotFound) await Ensure(response, $"delete virtual host '{Name}'").ConfigureAwait(false);
                return;
            }
            catch (Exception exception) when (attempt < 3)
            {
                Console.Error.WriteLine($"Test cleanup: could not delete virtual host '{Name}' (attempt {attempt}): {exception.Message}; retrying");
                await Task.Delay(TimeSpan.FromMilliseconds(500 * attempt)).ConfigureAwait(false);
            }
        }
    }

    public override string ToString() => Name;

    static async Task Ensure(HttpResponseMessage response, string what)
    {
        using (response)
        {
            if (response.IsSuccessStatusCode) return;
            var body = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"Could not {what}: management API answered {(int)response.StatusCode} {body}");
        }
    }

    static string UserOf(Uri amqp) =>
        string.IsNullOrEmpty(amqp.UserInfo) ? "guest" : Uri.UnescapeDataString(amqp.UserInfo.Split(':')[0]);

    /// <summary>The virtual host an AMQP connection string names (<c>/</c> when it names none).</summary>
    internal static string VirtualHostOf(string connectionString)
    {
        var path = new Uri(connectionString).AbsolutePath;
        return path.Length > 1 ? Uri.UnescapeDataString(path[1..]) : "/";
    }

    static string WithVirtualHost(Uri broker, string name) =>
        broker.GetLeftPart(UriPartial.Authority) + "/" + Uri.EscapeDataString(name);
}
