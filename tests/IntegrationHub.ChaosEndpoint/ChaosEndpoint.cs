using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Persistence;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Rebus.Bus;
using Rebus.Handlers;
using Rebus.Messages;
using Rebus.Pipeline;

namespace IntegrationHub.ChaosEndpoint;

/// <summary>One unit of work for the durability test: handled once per <see cref="Id"/> as far as the effects go.</summary>
public sealed record Work(string Id);

/// <summary>Sent onward by the Work handler, in its transaction, when <c>Chaos:SendDone</c> is set.</summary>
public sealed record WorkDone(string Id);

/// <summary>An endpoint whose name comes from configuration (<c>Chaos:Endpoint</c>), so every test run has its own queue.</summary>
public sealed class ChaosEndpoint(string name) : HubEndpoint
{
    public override string Name => name;

    public override void Configure(HubEndpointBuilder endpoint)
    {
        var services = endpoint.Services;
        services.AddSingleton(sp => new ChaosAttempts(NpgsqlDataSource.Create(sp.GetRequiredService<IConfiguration>().GetConnectionString("Postgres")
            ?? throw new InvalidOperationException("ConnectionStrings:Postgres is required: the chaos endpoint records its attempts in PostgreSQL."))));
        // Optional work time inside the open transaction (a real handler calls an API here): handlers overlap, so a
        // kill -9 catches some of them between their inbox claim and their commit.
        services.AddSingleton(sp =>
        {
            var configuration = sp.GetRequiredService<IConfiguration>();
            return new ChaosSettings(TimeSpan.FromMilliseconds(configuration.GetValue("Chaos:HandlerDelayMs", 0)), configuration.GetValue("Chaos:SendDone", false));
        });
        services.AddSingleton(sp =>
        {
            var configuration = sp.GetRequiredService<IConfiguration>();
            var reportAt = configuration.GetValue("Chaos:FrozenReportAt", 1);
            return new ChaosFaults(
                new ChaosFreeze(configuration.GetValue<int?>("Chaos:FreezeAfterInvocations"), reportAt, ChaosFreeze.FrozenLine),
                new ChaosFreeze(configuration.GetValue<int?>("Chaos:FreezeAfterCommits"), reportAt, ChaosFreeze.CommittedFrozenLine));
        });
        endpoint.Handler<WorkHandler>();
        endpoint.Handler<WorkDoneHandler>();
    }
}

/// <param name="HandlerDelay">Work time of the Work handler inside its open transaction (<c>Chaos:HandlerDelayMs</c>).</param>
/// <param name="SendDone">The Work handler sends <see cref="WorkDone"/> to its own queue (<c>Chaos:SendDone</c>).</param>
public sealed record ChaosSettings(TimeSpan HandlerDelay, bool SendDone);

/// <param name="MidTransaction"><c>Chaos:FreezeAfterInvocations</c>: frozen after the effect, before the commit.</param>
/// <param name="AfterCommit"><c>Chaos:FreezeAfterCommits</c>: frozen after the commit, before the sends and the ack.</param>
public sealed record ChaosFaults(ChaosFreeze MidTransaction, ChaosFreeze AfterCommit);

/// <summary>
/// Fault injection for the kill -9 tests: every invocation after the first N stops for good at one point of its
/// handling; once <c>Chaos:FrozenReportAt</c> handlers are stopped there, the process prints <paramref name="line"/>.
/// A kill that follows is certain to catch those messages at that point, instead of hoping to hit a moment when
/// handlers happen to be there. Two points: <c>Chaos:FreezeAfterInvocations</c> after the effect is written, with the
/// transaction open (<see cref="FrozenLine"/>); <c>Chaos:FreezeAfterCommits</c> after the commit, before the outbox
/// sends and the ack (<see cref="CommittedFrozenLine"/>).
/// </summary>
public sealed class ChaosFreeze(int? afterInvocations, int reportAt, string line)
{
    public const string FrozenLine = "CHAOS-FROZEN";
    public const string CommittedFrozenLine = "CHAOS-COMMITTED-FROZEN";

    int _invocations;
    int _frozen;

    /// <summary>Counts the invocation; true when this one must freeze.</summary>
    public bool Counts() => afterInvocations is { } limit && Interlocked.Increment(ref _invocations) > limit;

    public Task Freeze()
    {
        if (Interlocked.Increment(ref _frozen) == reportAt)
            Console.Out.WriteLine($"{line} handlers={reportAt} pid={Environment.ProcessId}");
        return Task.Delay(Timeout.Infinite);
    }
}

/// <summary>
/// Records every invocation of the handler on a connection of its own, in autocommit: the row stays even when the
/// message's transaction never commits (the process dies first), so the table counts deliveries, duplicates included.
/// </summary>
public sealed class ChaosAttempts(NpgsqlDataSource dataSource) : IAsyncDisposable
{
    public async Task Record(string id)
    {
        await using var command = dataSource.CreateCommand("INSERT INTO chaos_attempts (id, at) VALUES (@id, now())");
        command.Parameters.AddWithValue("id", id);
        await command.ExecuteNonQueryAsync();
    }

    public async Task RecordDone(string id)
    {
        await using var command = dataSource.CreateCommand("INSERT INTO chaos_done_attempts (id, at) VALUES (@id, now())");
        command.Parameters.AddWithValue("id", id);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>A Work message frozen after its commit: its id and its Rebus message id (the inbox and outbox key).</summary>
    public async Task RecordFrozen(string id, string messageId)
    {
        await using var command = dataSource.CreateCommand("INSERT INTO chaos_frozen (id, message_id) VALUES (@id, @messageId)");
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("messageId", messageId);
        await command.ExecuteNonQueryAsync();
    }

    public ValueTask DisposeAsync() => dataSource.DisposeAsync();
}

/// <summary>
/// (a) counts the invocation outside the message transaction; (b) writes the effect through <see cref="HandlerDatabase"/>,
/// i.e. in the message's transaction together with its inbox claim: committed once, or not at all; (c) with
/// <c>Chaos:SendDone</c>, sends <see cref="WorkDone"/> in the same transaction (an outbox row, sent after the commit).
/// </summary>
public sealed class WorkHandler(ChaosAttempts attempts, HandlerDatabase database, IBus bus, ChaosSettings settings, ChaosFaults faults) : IHandleMessages<Work>
{
    public async Task Handle(Work message)
    {
        var freezesMidTransaction = faults.MidTransaction.Counts();
        var freezesAfterCommit = faults.AfterCommit.Counts();
        await attempts.Record(message.Id);

        if (settings.HandlerDelay > TimeSpan.Zero) await Task.Delay(settings.HandlerDelay);

        await using var command = await database.Command("INSERT INTO chaos_effects (id) VALUES (@id)");
        command.Parameters.AddWithValue("id", message.Id);
        await command.ExecuteNonQueryAsync();

        if (settings.SendDone) await bus.SendLocal(new WorkDone(message.Id));

        if (freezesAfterCommit)
        {
            var context = MessageContext.Current;
            var messageId = context.Headers[Headers.MessageId];
            // The hub commits the message's transaction when the handler has returned, then runs the commit callbacks in
            // the order they were registered: this one first, before the hub's own (registered after the handler), which
            // sends the outbox rows; the transport's ack comes after all of them.
            context.TransactionContext.OnCommit(async _ =>
            {
                await attempts.RecordFrozen(message.Id, messageId);
                await faults.AfterCommit.Freeze();
            });
        }

        if (freezesMidTransaction) await faults.MidTransaction.Freeze();
    }
}

/// <summary>
/// Counts the invocation outside the message transaction, and records the <see cref="WorkDone"/> through
/// <see cref="HandlerDatabase"/> (<c>chaos_done.id</c> is a primary key: a second effect would fail the message).
/// </summary>
public sealed class WorkDoneHandler(ChaosAttempts attempts, HandlerDatabase database) : IHandleMessages<WorkDone>
{
    public async Task Handle(WorkDone message)
    {
        await attempts.RecordDone(message.Id);
        await using var command = await database.Command("INSERT INTO chaos_done (id) VALUES (@id)");
        command.Parameters.AddWithValue("id", message.Id);
        await command.ExecuteNonQueryAsync();
    }
}
