using System.Text;
using System.Text.Json;
using IntegrationHub.Hosting.Persistence;
using IntegrationHub.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Rebus.Logging;
using Rebus.Messages;
using Rebus.Transport;

namespace IntegrationHub.Hosting.Tests;

/// <summary>
/// The outbox under partial outages, on RabbitMQ + PostgreSQL: one message that cannot be sent holds back no other and
/// is parked for operators in the end; a broker that does not answer does not hold an API's answer; an outbox that
/// cannot drain refuses new work instead of growing without bound; its grace period counts from the commit.
/// </summary>
public sealed class OutboxTests(IsolatedDurableInfrastructure infrastructure) : IClassFixture<IsolatedDurableInfrastructure>, IAsyncLifetime
{
    readonly MessageRecorder _recorder = new();
    readonly string _sender = Names.UniqueEndpoint("Sender");
    readonly string _listener = Names.UniqueEndpoint("Listener");
    HubTestHost _host = null!;

    string Postgres => infrastructure.PostgresConnectionString;

    public async Task InitializeAsync()
    {
        var settings = infrastructure.Settings();
        settings["Hub:Outbox:ParkAfter"] = "00:01:00";
        _host = await HubTestHost.Start(settings,
            new TestEndpoint(_sender, _ => { }),
            new TestEndpoint(_listener, e => e.Recording<Note>(_recorder)));
    }

    public Task DisposeAsync() => _host.DisposeAsync().AsTask();

    public sealed record Note(string Text);

    [Fact]
    public async Task Message_that_cannot_be_sent_holds_back_no_other_and_is_parked_once_it_failed_long_enough()
    {
        var nowhere = "no-such-queue-" + Guid.NewGuid().ToString("N")[..8];
        var stuck = await LeftOver(nowhere, "stuck", age: TimeSpan.FromSeconds(30));
        var parked = await LeftOver(nowhere, "parked", age: TimeSpan.FromMinutes(2));
        var texts = Enumerable.Range(0, 5).Select(i => $"after-{i}-{Guid.NewGuid():N}").ToList();
        foreach (var text in texts) await LeftOver(HubEndpoint.QueueNameOf(_listener), text, age: TimeSpan.FromSeconds(30));

        foreach (var text in texts) await _recorder.WaitFor<Note>(n => n.Text == text);
        await Eventually.Until(async () => await Scalar<bool>($"SELECT parked_at IS NOT NULL FROM hub.outbox WHERE id = {parked}"),
            TimeSpan.FromSeconds(30), "the message that failed for longer than Hub:Outbox:ParkAfter is parked");

        Assert.True(await Scalar<bool>($"SELECT parked_at IS NULL AND attempts >= 1 AND next_attempt_at > clock_timestamp() FROM hub.outbox WHERE id = {stuck}"));
        Assert.Contains(nowhere, await Scalar<string>($"SELECT last_error FROM hub.outbox WHERE id = {stuck}"));
        Assert.Equal(2, await Scalar<long>($"SELECT count(*) FROM hub.outbox WHERE endpoint = '{_sender}'"));
    }

    [Fact]
    public async Task Api_transaction_is_answered_once_committed_even_when_the_broker_does_not_answer()
    {
        await using var forwarder = Forwarder(new HangingTransport());
        var transactions = Transactions(new HangingTransport(), forwarder.Instance);
        await using var transaction = transactions.Begin();
        var key = "committed-" + Guid.NewGuid().ToString("N");
        PostgreSqlUnitOfWork.In(AmbientTransactionContext.Current!)!.Enqueue(HubEndpoint.QueueNameOf(_listener), Message(key));

        await transaction.Complete().WaitAsync(TimeSpan.FromSeconds(30)); // a hung broker would hold it for the confirm timeout, or forever

        Assert.Equal(1, await Scalar<long>($"SELECT count(*) FROM hub.outbox WHERE convert_from(body, 'UTF8') LIKE '%{key}%'"));
    }

    [Fact]
    public async Task Outbox_that_cannot_drain_refuses_new_work_and_readiness_says_so()
    {
        await using var forwarder = Forwarder(new RefusingTransport(), maxPending: 3, endpoint: _sender);
        for (var i = 0; i < 3; i++) await LeftOver("anywhere", $"waiting-{i}", TimeSpan.FromSeconds(30));
        var transactions = Transactions(new RefusingTransport(), forwarder.Instance);

        await Eventually.Until(() => Task.FromResult(forwarder.Instance.IsFull), TimeSpan.FromSeconds(30), "the forwarder counts a full outbox");

        var refused = Assert.Throws<OutboxFullException>(() => transactions.Begin());
        Assert.Contains("Hub:Outbox:MaxPending", refused.Message);
    }

    [Fact]
    public async Task Grace_period_counts_from_the_end_of_a_long_transaction_not_its_start()
    {
        await using var connection = new NpgsqlConnection(Postgres);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var started = await Scalar<double>(connection, transaction, "SELECT extract(epoch FROM now())::float8");
        await Scalar<object>(connection, transaction, "SELECT pg_sleep(2)"); // the handler's long work
        var ids = await OutboxRows.Insert(connection, transaction, _sender, [new OutboxMessage("long", "nowhere", Message("long"))]);
        await transaction.CommitAsync();

        var created = await Scalar<double>($"SELECT extract(epoch FROM created_at)::float8 FROM hub.outbox WHERE id = {ids[0]}");
        Assert.True(created - started >= 1.5, $"created {created}, transaction started {started} (seconds since 1970)");
    }

    /// <summary>A row the normal path never sent (a crash between commit and send), <paramref name="age"/> old.</summary>
    async Task<long> LeftOver(string destination, string text, TimeSpan age)
    {
        var message = Message(text);
        await using var connection = new NpgsqlConnection(Postgres);
        await connection.OpenAsync();
        await using var insert = new NpgsqlCommand("""
            INSERT INTO hub.outbox (endpoint, message_id, destination, headers, body, created_at)
            VALUES (@endpoint, @sent_by, @destination, @headers::jsonb, @body, clock_timestamp() - @age) RETURNING id
            """, connection);
        insert.Parameters.AddWithValue("endpoint", _sender);
        insert.Parameters.AddWithValue("sent_by", "test");
        insert.Parameters.AddWithValue("destination", destination);
        insert.Parameters.AddWithValue("headers", JsonSerializer.Serialize(message.Headers));
        insert.Parameters.AddWithValue("body", message.Body);
        insert.Parameters.AddWithValue("age", age);
        return (long)(await insert.ExecuteScalarAsync())!;
    }

    /// <summary>A <see cref="Note"/> as the hub's serializer writes it (System.Text.Json, the type in <c>rbs2-msg-type</c>).</summary>
    static TransportMessage Message(string text) => new(new Dictionary<string, string>
    {
        [Headers.MessageId] = Guid.NewGuid().ToString(),
        [Headers.Type] = $"{typeof(Note).FullName}, {typeof(Note).Assembly.GetName().Name}",
        [Headers.ContentType] = "application/json;charset=utf-8",
    }, Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new Note(text))));

    sealed class OwnedForwarder(OutboxForwarder forwarder) : IAsyncDisposable
    {
        public OutboxForwarder Instance => forwarder;

        public ValueTask DisposeAsync()
        {
            forwarder.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    OwnedForwarder Forwarder(ITransport transport, int maxPending = 100_000, string? endpoint = null) =>
        new(new OutboxForwarder(Postgres, endpoint ?? Names.UniqueEndpoint("Api"), transport, new OutboxOptions { MaxPending = maxPending },
            new Observability.HubMetrics("test"), new NullLoggerFactory()));

    HubTransactions Transactions(ITransport transport, OutboxForwarder forwarder) =>
        new(Postgres, _sender, () => new OutboxTransport(transport), () => forwarder, new NullLoggerFactory());

    Task<T?> Scalar<T>(string sql) => PostgresServer.Scalar<T>(Postgres, sql);

    static async Task<T> Scalar<T>(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>A broker that takes messages and never confirms them.</summary>
    sealed class HangingTransport : ITransport
    {
        public void CreateQueue(string address) { }
        public Task Send(string destinationAddress, TransportMessage message, ITransactionContext context) => Task.Delay(Timeout.Infinite);
        public Task<TransportMessage> Receive(ITransactionContext context, CancellationToken cancellationToken) => throw new NotSupportedException();
        public string Address => "hanging";
    }

    /// <summary>A broker that refuses every message.</summary>
    sealed class RefusingTransport : ITransport
    {
        public void CreateQueue(string address) { }
        public Task Send(string destinationAddress, TransportMessage message, ITransactionContext context) =>
            throw new InvalidOperationException($"the broker refused the message to {destinationAddress}");
        public Task<TransportMessage> Receive(ITransactionContext context, CancellationToken cancellationToken) => throw new NotSupportedException();
        public string Address => "refusing";
    }
}
