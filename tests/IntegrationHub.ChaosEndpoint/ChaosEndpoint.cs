using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Persistence;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Rebus.Handlers;

namespace IntegrationHub.ChaosEndpoint;

/// <summary>One unit of work for the durability test: handled once per <see cref="Id"/> as far as the effects go.</summary>
public sealed record Work(string Id);

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
        services.AddSingleton(sp => new ChaosSettings(TimeSpan.FromMilliseconds(sp.GetRequiredService<IConfiguration>().GetValue("Chaos:HandlerDelayMs", 0))));
        services.AddSingleton(sp =>
        {
            var configuration = sp.GetRequiredService<IConfiguration>();
            return new ChaosFreeze(configuration.GetValue<int?>("Chaos:FreezeAfterInvocations"), configuration.GetValue("Chaos:FrozenReportAt", 1));
        });
        endpoint.Handler<WorkHandler>();
    }
}

public sealed record ChaosSettings(TimeSpan HandlerDelay);

/// <summary>
/// Fault injection for the kill -9 test (<c>Chaos:FreezeAfterInvocations</c>): every invocation after the first N stops
/// for good after writing its effect, with its transaction open; once <c>Chaos:FrozenReportAt</c> handlers are stopped
/// there, the process prints <see cref="FrozenLine"/>. A kill that follows is certain to cut those transactions off,
/// instead of hoping to hit a moment when handlers happen to be between their claim and their commit.
/// </summary>
public sealed class ChaosFreeze(int? afterInvocations, int reportAt)
{
    public const string FrozenLine = "CHAOS-FROZEN";

    int _invocations;
    int _frozen;

    /// <summary>Counts the invocation; true when this one must freeze.</summary>
    public bool Counts() => afterInvocations is { } limit && Interlocked.Increment(ref _invocations) > limit;

    public Task Freeze()
    {
        if (Interlocked.Increment(ref _frozen) == reportAt)
            Console.Out.WriteLine($"{FrozenLine} handlers={reportAt} pid={Environment.ProcessId}");
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

    public ValueTask DisposeAsync() => dataSource.DisposeAsync();
}

/// <summary>
/// (a) counts the invocation outside the message transaction; (b) writes the effect through <see cref="HandlerDatabase"/>,
/// i.e. in the message's transaction together with its inbox claim: committed once, or not at all.
/// </summary>
public sealed class WorkHandler(ChaosAttempts attempts, HandlerDatabase database, ChaosSettings settings, ChaosFreeze freeze) : IHandleMessages<Work>
{
    public async Task Handle(Work message)
    {
        var freezes = freeze.Counts();
        await attempts.Record(message.Id);

        if (settings.HandlerDelay > TimeSpan.Zero) await Task.Delay(settings.HandlerDelay);

        await using var command = await database.Command("INSERT INTO chaos_effects (id) VALUES (@id)");
        command.Parameters.AddWithValue("id", message.Id);
        await command.ExecuteNonQueryAsync();

        if (freezes) await freeze.Freeze();
    }
}
