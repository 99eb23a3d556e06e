using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Configuration;
using IntegrationHub.Hosting.Persistence;
using IntegrationHub.Providers.Exchanges;
using IntegrationHub.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Providers.Tests;

/// <summary>
/// Retention of finished exchanges and unmatched callbacks, on the in-memory and the PostgreSQL store: the store is
/// pruned with a chosen "now" (rows are written with the times a test picks), and the endpoint's background
/// pruning removes rows written with old times while it runs.
/// </summary>
public abstract class ProviderRetentionContract<TInfrastructure>(TInfrastructure infrastructure)
    : IClassFixture<TInfrastructure>, IAsyncLifetime
    where TInfrastructure : class, IHubInfrastructure
{
    static readonly TimeSpan FinishedRetention = TimeSpan.FromDays(30);
    static readonly TimeSpan UnmatchedRetention = TimeSpan.FromDays(90);
    readonly string _storeEndpoint = Names.UniqueEndpoint("Store");
    readonly DateTimeOffset _now = DateTimeOffset.UtcNow;
    HubTestHost _host = null!;
    IProviderExchangeStore _store = null!;

    protected TInfrastructure Infrastructure => infrastructure;

    protected abstract IProviderExchangeStore CreateStore(HubOptions hub);

    /// <summary>Forgets every row (the database outlives a test).</summary>
    protected abstract Task Clear();

    public async Task InitializeAsync()
    {
        _host = await HubTestHost.Start(infrastructure.Settings(), new StoreEndpoint(_storeEndpoint));
        _store = CreateStore(Hub(_host));
        await Clear();
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await infrastructure.CleanUp(HubEndpoint.QueueNameOf(_storeEndpoint));
    }

    [Fact]
    public async Task Finished_exchanges_older_than_retention_are_pruned_and_newer_ones_stay()
    {
        var old = await Finished(daysAgo: 31);
        var recent = await Finished(daysAgo: 29);

        Assert.Equal(1, await _store.PruneFinished(_now - FinishedRetention, 100));

        Assert.Null(await FindFinished(old));
        Assert.NotNull(await FindFinished(recent));
    }

    [Fact]
    public async Task Unmatched_callbacks_are_kept_by_their_own_retention()
    {
        var monthOld = await Unmatched(daysAgo: 31);
        var old = await Unmatched(daysAgo: 91);

        Assert.Equal(0, await _store.PruneFinished(_now - FinishedRetention, 100));
        Assert.Equal(1, await _store.PruneUnmatched(_now - UnmatchedRetention, 100));

        Assert.Equal([monthOld], (await _store.ListUnmatched(limit: 1000)).Select(c => c.CallbackId));
        Assert.DoesNotContain(old, (await _store.ListUnmatched(limit: 1000)).Select(c => c.CallbackId));
    }

    [Fact]
    public async Task Pruning_removes_at_most_one_batch_per_call()
    {
        for (var i = 0; i < 5; i++)
            await Finished(daysAgo: 40 + i);

        var batches = new List<int>();
        for (var i = 0; i < 4; i++)
            batches.Add(await _store.PruneFinished(_now - FinishedRetention, 2));

        Assert.Equal([2, 2, 1, 0], batches);
    }

    [Fact]
    public async Task Pruners_running_side_by_side_remove_every_old_row_exactly_once()
    {
        const int count = 60;
        for (var i = 0; i < count; i++)
            await Unmatched(daysAgo: 91 + i % 7);
        var recent = await Unmatched(daysAgo: 1);

        var removed = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            int total = 0, batch;
            do total += batch = await _store.PruneUnmatched(_now - UnmatchedRetention, 5);
            while (batch > 0);
            return total;
        })));
        var leftOver = await _store.PruneUnmatched(_now - UnmatchedRetention, 1000);

        Assert.Equal(count, removed.Sum() + leftOver);
        Assert.Equal([recent], (await _store.ListUnmatched(limit: 1000)).Select(c => c.CallbackId));
    }

    [Fact]
    public async Task Background_pruning_removes_rows_past_their_retention_and_keeps_the_others()
    {
        var settings = infrastructure.Settings();
        settings["Hub:Retention:Interval"] = "00:00:00.100";
        settings["Hub:Retention:BatchSize"] = "2";
        var providers = new ProvidersEndpoint();
        await using var host = await HubTestHost.Start(settings, providers);
        try
        {
            var store = host.Services.GetRequiredService<IProviderExchangeStore>();
            var now = DateTimeOffset.UtcNow;
            var goneExchanges = new[] { await Finished(31, now, store, host, providers.Name), await Finished(45, now, store, host, providers.Name), await Finished(60, now, store, host, providers.Name) };
            var keptExchange = await Finished(29, now, store, host, providers.Name);
            var goneCallback = await Unmatched(91, now, store, host, providers.Name);
            var keptCallback = await Unmatched(31, now, store, host, providers.Name);

            await Eventually.Until(async () => (await Task.WhenAll(goneExchanges.Select(id => FindFinished(id, store, host, providers.Name)))).All(e => e is null)
                                               && !(await store.ListUnmatched(limit: 1000)).Any(c => c.CallbackId == goneCallback),
                TimeSpan.FromSeconds(30), "the rows past their retention are pruned");

            Assert.NotNull(await FindFinished(keptExchange, store, host, providers.Name));
            Assert.Equal([keptCallback], (await store.ListUnmatched(limit: 1000)).Select(c => c.CallbackId));
        }
        finally
        {
            await infrastructure.CleanUp(providers.QueueName);
        }
    }

    [Fact]
    public async Task Retention_shorter_than_a_day_stops_the_endpoint_at_start_with_every_problem_listed()
    {
        var settings = infrastructure.Settings();
        settings["Hub:Providers:Retention:FinishedExchanges"] = "02:00:00";
        settings["Hub:Retention:Interval"] = "-00:00:01";
        var providers = new ProvidersEndpoint();

        var failure = await Assert.ThrowsAsync<HubSettingsException>(() => HubTestHost.Start(settings, providers));

        Assert.Contains("Hub:Providers:Retention:FinishedExchanges must be at least 1.00:00:00", failure.Message);
        Assert.Contains("Hub:Retention:Interval) must be positive", failure.Message);
        await infrastructure.CleanUp(providers.QueueName);
    }

    Task<string> Finished(int daysAgo) => Finished(daysAgo, _now, _store, _host, _storeEndpoint);

    Task<string> Unmatched(int daysAgo) => Unmatched(daysAgo, _now, _store, _host, _storeEndpoint);

    Task<FinishedExchange?> FindFinished(string requestId) => FindFinished(requestId, _store, _host, _storeEndpoint);

    /// <summary>An exchange that finished <paramref name="daysAgo"/> days before <paramref name="now"/>, written as the saga writes it.</summary>
    static async Task<string> Finished(int daysAgo, DateTimeOffset now, IProviderExchangeStore store, HubTestHost host, string endpoint)
    {
        var requestId = Guid.NewGuid().ToString();
        await InTransaction(host, endpoint, () => store.Finish(new FinishedExchange(requestId, "sim", "completed", true, now.AddDays(-daysAgo))));
        return requestId;
    }

    static async Task<string> Unmatched(int daysAgo, DateTimeOffset now, IProviderExchangeStore store, HubTestHost host, string endpoint)
    {
        var callbackId = Guid.NewGuid().ToString();
        await InTransaction(host, endpoint, () => store.KeepUnmatched(new UnmatchedCallback(callbackId, "sim", Guid.NewGuid().ToString(),
            "completed", "no such request", "{}", null, now.AddDays(-daysAgo))));
        return callbackId;
    }

    static async Task<FinishedExchange?> FindFinished(string requestId, IProviderExchangeStore store, HubTestHost host, string endpoint)
    {
        FinishedExchange? found = null;
        await InTransaction(host, endpoint, async () => found = await store.FindFinished(requestId));
        return found;
    }

    static async Task InTransaction(HubTestHost host, string endpoint, Func<Task> work)
    {
        await using var transaction = host.Services.GetRequiredService<HubBusRegistry>().Transactions(endpoint).Begin();
        await work();
        await transaction.Complete();
    }

    static HubOptions Hub(HubTestHost host) => host.Services.GetRequiredService<IOptions<HubOptions>>().Value;

    sealed class StoreEndpoint(string name) : HubEndpoint
    {
        public override string Name => name;
        public override MigrationSet Migrations => ProvidersEndpoint.MigrationSet;
        public override void Configure(HubEndpointBuilder endpoint) { }
    }
}

public sealed class ProviderRetention_InMemory(InMemoryInfrastructure infrastructure)
    : ProviderRetentionContract<InMemoryInfrastructure>(infrastructure)
{
    protected override IProviderExchangeStore CreateStore(HubOptions hub) => new InMemoryProviderExchangeStore();

    protected override Task Clear() => Task.CompletedTask;
}

public sealed class ProviderRetention_PostgreSql(IsolatedDurableInfrastructure infrastructure)
    : ProviderRetentionContract<IsolatedDurableInfrastructure>(infrastructure)
{
    protected override IProviderExchangeStore CreateStore(HubOptions hub) => new PostgreSqlProviderExchangeStore(hub.PostgresConnectionString, new HandlerDatabase());

    protected override Task Clear() => PostgresServer.Execute(
        "DELETE FROM providers.finished_exchanges; DELETE FROM providers.unmatched_callbacks;", Infrastructure.PostgresConnectionString);
}
