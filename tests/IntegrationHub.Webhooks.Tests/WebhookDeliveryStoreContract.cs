using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Configuration;
using IntegrationHub.Hosting.Persistence;
using IntegrationHub.Testing;
using IntegrationHub.Webhooks.Delivery;
using IntegrationHub.Webhooks.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Webhooks.Tests;

/// <summary>
/// What operators rely on in the delivery store, on the in-memory and the PostgreSQL store: listing page by page, and
/// retention of ended deliveries — the pruner is driven with a chosen "now" (rows are written with the times a test
/// picks), and the endpoint's background pruning removes rows written with old times while it runs.
/// </summary>
public abstract class WebhookDeliveryStoreContract<TInfrastructure>(TInfrastructure infrastructure)
    : IClassFixture<TInfrastructure>, IAsyncLifetime
    where TInfrastructure : class, IHubInfrastructure
{
    static readonly TimeSpan DeliveredRetention = TimeSpan.FromDays(30);
    static readonly TimeSpan DeadRetention = TimeSpan.FromDays(90);
    readonly string _storeEndpoint = Names.UniqueEndpoint("Store");
    readonly DateTimeOffset _now = DateTimeOffset.UtcNow;
    HubTestHost _host = null!;

    protected TInfrastructure Infrastructure => infrastructure;
    IWebhookDeliveryStore Store { get; set; } = null!;
    IWebhookDeliveryReader Reader { get; set; } = null!;
    IWebhookDeliveryPruner Pruner { get; set; } = null!;

    /// <summary>The store, reader and pruner under test, on the database of <paramref name="hub"/>.</summary>
    protected abstract (IWebhookDeliveryStore Store, IWebhookDeliveryReader Reader, IWebhookDeliveryPruner Pruner) CreateStores(HubOptions hub);

    /// <summary>Forgets every delivery (the database outlives a test).</summary>
    protected abstract Task Clear();

    public async Task InitializeAsync()
    {
        _host = await HubTestHost.Start(infrastructure.Settings(), new StoreEndpoint(_storeEndpoint));
        (Store, Reader, Pruner) = CreateStores(Hub(_host));
        await Clear();
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await infrastructure.CleanUp(HubEndpoint.QueueNameOf(_storeEndpoint));
    }

    [Fact]
    public async Task Listing_pages_newest_first_without_repeating_or_skipping_deliveries_created_at_the_same_time()
    {
        var sameTime = _now.AddMinutes(-2);
        var seeded = new List<WebhookDelivery>();
        foreach (var (department, status, createdAt) in new[]
                 {
                     ("health", WebhookStatus.Dead, _now.AddMinutes(-3)), ("health", WebhookStatus.Dead, sameTime),
                     ("Health", WebhookStatus.Dead, sameTime), ("health", WebhookStatus.Dead, sameTime),
                     ("health", WebhookStatus.Delivered, sameTime), ("tax", WebhookStatus.Dead, sameTime),
                     ("health", WebhookStatus.Dead, _now.AddMinutes(-1)),
                 })
            seeded.Add(await AddCreated(department, status, createdAt));
        var expected = seeded.Where(d => d.Status == WebhookStatus.Dead && d.Department.Equals("health", StringComparison.OrdinalIgnoreCase))
            .OrderByDescending(d => d.CreatedAt).ThenByDescending(d => d.Id, StringComparer.Ordinal).Select(d => d.Id).ToList();

        var listed = new List<string>();
        DeliveryCursor? after = null;
        for (var page = 0; page < 10; page++)
        {
            var found = await Reader.List(WebhookStatus.Dead, "HEALTH", 2, after);
            listed.AddRange(found.Select(d => d.Id));
            if (found.Count < 2) break;
            Assert.True(DeliveryCursor.TryDecode(DeliveryCursor.After(found[^1]).Encode(), out after));
        }

        Assert.Equal(expected, listed);
    }

    [Fact]
    public async Task Delivered_deliveries_older_than_retention_are_pruned_with_their_attempts()
    {
        var old = await Add(WebhookStatus.Delivered, endedDaysAgo: 31, attempts: 2);
        var recent = await Add(WebhookStatus.Delivered, endedDaysAgo: 29, attempts: 3);

        var pruned = await Pruner.PruneDelivered(_now - DeliveredRetention, 100);

        Assert.Equal(new PrunedDeliveries(1, 2), pruned);
        Assert.Null(await Reader.Get(old.Id));
        Assert.Empty(await Reader.Attempts(old.Id));
        Assert.NotNull(await Reader.Get(recent.Id));
        Assert.Equal(3, (await Reader.Attempts(recent.Id)).Count);
    }

    [Fact]
    public async Task Dead_deliveries_are_kept_by_their_own_longer_retention()
    {
        var deadMonthAgo = await Add(WebhookStatus.Dead, endedDaysAgo: 31, attempts: 8);
        var deadLongAgo = await Add(WebhookStatus.Dead, endedDaysAgo: 91, attempts: 8);

        Assert.Equal(PrunedDeliveries.None, await Pruner.PruneDelivered(_now - DeliveredRetention, 100));
        var pruned = await Pruner.PruneDeadLettered(_now - DeadRetention, 100);

        Assert.Equal(new PrunedDeliveries(1, 8), pruned);
        Assert.NotNull(await Reader.Get(deadMonthAgo.Id));
        Assert.Equal(8, (await Reader.Attempts(deadMonthAgo.Id)).Count);
        Assert.Null(await Reader.Get(deadLongAgo.Id));
        Assert.Empty(await Reader.Attempts(deadLongAgo.Id));
    }

    [Fact]
    public async Task Never_sent_deliveries_follow_the_dead_letter_retention_from_their_creation()
    {
        var old = await Add(WebhookStatus.NoCallbackRegistered, endedDaysAgo: 91, attempts: 0);
        var recent = await Add(WebhookStatus.NoCallbackRegistered, endedDaysAgo: 89, attempts: 0);

        Assert.Equal(new PrunedDeliveries(1, 0), await Pruner.PruneDeadLettered(_now - DeadRetention, 100));

        Assert.Null(await Reader.Get(old.Id));
        Assert.NotNull(await Reader.Get(recent.Id));
    }

    [Fact]
    public async Task Pending_deliveries_are_never_pruned()
    {
        var pending = await Add(WebhookStatus.Pending, endedDaysAgo: 400, attempts: 3);

        Assert.Equal(PrunedDeliveries.None, await Pruner.PruneDelivered(_now, 100));
        Assert.Equal(PrunedDeliveries.None, await Pruner.PruneDeadLettered(_now, 100));

        Assert.NotNull(await Reader.Get(pending.Id));
        Assert.Equal(3, (await Reader.Attempts(pending.Id)).Count);
    }

    [Fact]
    public async Task Pruning_removes_at_most_one_batch_per_call()
    {
        for (var i = 0; i < 5; i++)
            await Add(WebhookStatus.Delivered, endedDaysAgo: 40 + i, attempts: 1);

        var batches = new List<int>();
        for (var i = 0; i < 4; i++)
            batches.Add((await Pruner.PruneDelivered(_now - DeliveredRetention, 2)).Deliveries);

        Assert.Equal([2, 2, 1, 0], batches);
        Assert.Empty(await Reader.List(limit: 10));
    }

    [Fact]
    public async Task Pruners_running_side_by_side_remove_every_old_delivery_exactly_once()
    {
        const int count = 60;
        for (var i = 0; i < count; i++)
            await Add(WebhookStatus.Delivered, endedDaysAgo: 31 + i % 7, attempts: 2);
        var recent = await Add(WebhookStatus.Delivered, endedDaysAgo: 1, attempts: 1);

        var removed = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            var total = PrunedDeliveries.None;
            PrunedDeliveries batch;
            do total += batch = await Pruner.PruneDelivered(_now - DeliveredRetention, 5);
            while (batch.Deliveries > 0);
            return total;
        })));
        var leftOver = await Pruner.PruneDelivered(_now - DeliveredRetention, 1000);

        Assert.Equal(new PrunedDeliveries(count, 2 * count), removed.Aggregate(leftOver, (a, b) => a + b));
        Assert.Equal([recent.Id], (await Reader.List(limit: 1000)).Select(d => d.Id));
    }

    [Fact]
    public async Task Background_pruning_removes_deliveries_past_their_retention_and_keeps_the_others()
    {
        var settings = infrastructure.Settings();
        settings["Hub:Retention:Interval"] = "00:00:00.100";
        settings["Hub:Retention:BatchSize"] = "2";
        var webhooks = new WebhooksEndpoint();
        await using var host = await HubTestHost.Start(settings, webhooks);
        try
        {
            var store = host.Services.GetRequiredService<IWebhookDeliveryStore>();
            var now = DateTimeOffset.UtcNow;
            var gone = new[]
            {
                await Add(WebhookStatus.Delivered, endedDaysAgo: 31, attempts: 1, now, store, host, WebhooksEndpoint.EndpointName),
                await Add(WebhookStatus.Delivered, endedDaysAgo: 45, attempts: 2, now, store, host, WebhooksEndpoint.EndpointName),
                await Add(WebhookStatus.Delivered, endedDaysAgo: 60, attempts: 1, now, store, host, WebhooksEndpoint.EndpointName),
                await Add(WebhookStatus.Dead, endedDaysAgo: 91, attempts: 8, now, store, host, WebhooksEndpoint.EndpointName),
            };
            var kept = new[]
            {
                await Add(WebhookStatus.Delivered, endedDaysAgo: 29, attempts: 1, now, store, host, WebhooksEndpoint.EndpointName),
                await Add(WebhookStatus.Dead, endedDaysAgo: 89, attempts: 8, now, store, host, WebhooksEndpoint.EndpointName),
                await Add(WebhookStatus.NoCallbackRegistered, endedDaysAgo: 31, attempts: 0, now, store, host, WebhooksEndpoint.EndpointName),
                await Add(WebhookStatus.Pending, endedDaysAgo: 400, attempts: 1, now, store, host, WebhooksEndpoint.EndpointName),
            };
            var reader = host.Services.GetRequiredService<IWebhookDeliveryReader>();

            await Eventually.Until(async () => (await Task.WhenAll(gone.Select(d => reader.Get(d.Id)))).All(d => d is null),
                TimeSpan.FromSeconds(30), "the deliveries past their retention are pruned");

            foreach (var delivery in kept)
                Assert.Equal(delivery.Attempts, (await reader.Attempts(delivery.Id)).Count);
            Assert.Equal(kept.Select(d => d.Id).Order(), (await reader.List(limit: 1000)).Select(d => d.Id).Order());
        }
        finally
        {
            await infrastructure.CleanUp(webhooks.QueueName);
        }
    }

    [Fact]
    public async Task Retention_shorter_than_an_hour_or_a_zero_batch_stops_the_endpoint_at_start_with_every_problem_listed()
    {
        var settings = infrastructure.Settings();
        settings["Hub:Webhooks:Retention:Delivered"] = "00:10:00";
        settings["Hub:Retention:BatchSize"] = "0";

        var failure = await Assert.ThrowsAsync<HubSettingsException>(() => HubTestHost.Start(settings, new WebhooksEndpoint()));

        Assert.Contains("Hub:Webhooks:Retention:Delivered must be at least 01:00:00", failure.Message);
        Assert.Contains("Hub:Retention:BatchSize) must be between 1 and 100000", failure.Message);
        await infrastructure.CleanUp("hub.webhooks");
    }

    Task<WebhookDelivery> Add(string status, int endedDaysAgo, int attempts) =>
        Add(status, endedDaysAgo, attempts, _now, Store, _host, _storeEndpoint);

    /// <summary>
    /// A delivery of <paramref name="status"/> that ended <paramref name="endedDaysAgo"/> days before
    /// <paramref name="now"/> (was created then, when never attempted), with <paramref name="attempts"/> attempts,
    /// written as the endpoint's handlers write it: in a transaction of <paramref name="endpoint"/>.
    /// </summary>
    static async Task<WebhookDelivery> Add(string status, int endedDaysAgo, int attempts, DateTimeOffset now,
        IWebhookDeliveryStore store, HubTestHost host, string endpoint)
    {
        var ended = now.AddDays(-endedDaysAgo);
        var created = attempts == 0 ? ended : ended.AddHours(-1);
        var requestId = Guid.NewGuid().ToString();
        var id = WebhookPayload.DeliveryIdFor(requestId, WebhookTypes.Completed);
        var delivery = new WebhookDelivery(id, "health", requestId, WebhookTypes.Completed,
            status == WebhookStatus.NoCallbackRegistered ? null : new Uri("https://health.example/hooks"), status,
            Attempts: attempts, Round: 1, RoundAttempts: attempts, CreatedAt: created,
            LastAttemptAt: attempts == 0 ? null : ended, LastStatusCode: attempts == 0 ? null : status == WebhookStatus.Delivered ? 200 : 503,
            LastError: null, NextAttemptAt: status == WebhookStatus.Pending ? now.AddMinutes(5) : null,
            DeliveredAt: status == WebhookStatus.Delivered ? ended : null, Payload: "{}");

        await using var transaction = host.Services.GetRequiredService<HubBusRegistry>().Transactions(endpoint).Begin();
        Assert.True(await store.TryAdd(delivery));
        for (var attempt = 1; attempt <= attempts; attempt++)
            await store.Save(delivery, new WebhookAttempt(id, attempt, 1, created.AddMinutes(attempt), 503, "the receiver answered 503", TimeSpan.FromMilliseconds(12)));
        await transaction.Complete();
        return delivery;
    }

    async Task<WebhookDelivery> AddCreated(string department, string status, DateTimeOffset createdAt)
    {
        var requestId = Guid.NewGuid().ToString();
        var id = WebhookPayload.DeliveryIdFor(requestId, WebhookTypes.Completed);
        var delivery = new WebhookDelivery(id, department, requestId, WebhookTypes.Completed, new Uri("https://health.example/hooks"), status,
            Attempts: 1, Round: 1, RoundAttempts: 1, CreatedAt: createdAt, LastAttemptAt: createdAt, LastStatusCode: 503, LastError: null,
            NextAttemptAt: null, DeliveredAt: status == WebhookStatus.Delivered ? createdAt : null, Payload: "{}");
        await using var transaction = _host.Services.GetRequiredService<HubBusRegistry>().Transactions(_storeEndpoint).Begin();
        Assert.True(await Store.TryAdd(delivery));
        await transaction.Complete();
        return delivery;
    }

    static HubOptions Hub(HubTestHost host) => host.Services.GetRequiredService<IOptions<HubOptions>>().Value;

    sealed class StoreEndpoint(string name) : HubEndpoint
    {
        public override string Name => name;
        public override MigrationSet Migrations => WebhooksEndpoint.MigrationSet;
        public override void Configure(HubEndpointBuilder endpoint) { }
    }
}

public sealed class WebhookDeliveryStore_InMemory(InMemoryInfrastructure infrastructure)
    : WebhookDeliveryStoreContract<InMemoryInfrastructure>(infrastructure)
{
    protected override (IWebhookDeliveryStore, IWebhookDeliveryReader, IWebhookDeliveryPruner) CreateStores(HubOptions hub)
    {
        var store = new InMemoryWebhookDeliveryStore();
        return (store, store, store);
    }

    protected override Task Clear() => Task.CompletedTask;
}

// A virtual host of its own: messages left in the fixed hub.webhooks queue by another class can't add deliveries here.
public sealed class WebhookDeliveryStore_PostgreSql(IsolatedDurableInfrastructure infrastructure)
    : WebhookDeliveryStoreContract<IsolatedDurableInfrastructure>(infrastructure)
{
    protected override (IWebhookDeliveryStore, IWebhookDeliveryReader, IWebhookDeliveryPruner) CreateStores(HubOptions hub) =>
        (new PostgreSqlWebhookDeliveryStore(new HandlerDatabase()), new PostgreSqlWebhookDeliveryReader(hub.PostgresConnectionString),
            new PostgreSqlWebhookDeliveryPruner(hub.PostgresConnectionString));

    protected override Task Clear() => PostgresServer.Execute(
        "DELETE FROM webhooks.delivery_attempts; DELETE FROM webhooks.deliveries;", Infrastructure.PostgresConnectionString);
}
