using IntegrationHub.Gateway.Store;
using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Persistence;
using IntegrationHub.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Gateway.Tests;

/// <summary>What every request store does, run for the in-memory and the PostgreSQL store.</summary>
public abstract class RequestStoreContract<TInfrastructure>(TInfrastructure infrastructure)
    : IClassFixture<TInfrastructure>, IAsyncLifetime where TInfrastructure : class, IHubInfrastructure
{
    readonly string _endpoint = Names.UniqueEndpoint("Store");
    HubTestHost _host = null!;
    IRequestStore _store = null!;
    readonly DateTimeOffset _t0 = new(2025, 11, 24, 9, 0, 0, TimeSpan.Zero);

    protected abstract IRequestStore CreateStore(IServiceProvider services);

    public async Task InitializeAsync()
    {
        _host = await HubTestHost.Start(infrastructure.Settings(), new StoreEndpoint(_endpoint));
        _store = CreateStore(_host.Services);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await infrastructure.CleanUp(HubEndpoint.QueueNameOf(_endpoint));
    }

    /// <summary>Runs <paramref name="work"/> as the API and the projection do: in a transaction of the endpoint.</summary>
    async Task<T> InTransaction<T>(Func<IRequestStore, Task<T>> work)
    {
        await using var transaction = _host.Services.GetRequiredService<HubBusRegistry>().Transactions(_endpoint).Begin();
        var result = await work(_store);
        await transaction.Complete();
        return result;
    }

    /// <summary>Adds as the API does: the store completes the transaction (in PostgreSQL, in a group commit).</summary>
    async Task<bool> Add(NewRequest request)
    {
        await using var transaction = _host.Services.GetRequiredService<HubBusRegistry>().Transactions(_endpoint).Begin();
        return await _store.Add(request, transaction);
    }

    NewRequest New(string department = "health", string? key = null, string hash = "hash-1") =>
        new("req_" + Guid.NewGuid().ToString("N"), department, "birth-certificate", _t0, key, hash);

    async Task<NewRequest> Added(string department = "health", string? key = null, string hash = "hash-1")
    {
        var request = New(department, key, hash);
        Assert.True(await Add(request));
        return request;
    }

    RequestUpdate Update(NewRequest request, string status, string step, int seconds, string? entryId = null, string? result = null) =>
        new(request.RequestId, request.Department, entryId ?? Guid.NewGuid().ToString(), status, step, null, _t0.AddSeconds(seconds), result);

    Task<RequestRecord?> Find(NewRequest request, string? department = null) =>
        InTransaction(store => store.Find(department ?? request.Department, request.RequestId));

    [Fact]
    public async Task Added_request_is_accepted_and_visible_only_to_its_department()
    {
        var request = await Added();

        var found = await Find(request);
        Assert.Equal(("accepted", _t0, _t0), (found!.Status, found.AcceptedAt, found.UpdatedAt));
        Assert.Equal([new TimelineEntry(_t0, "accepted", null)], found.Timeline);
        Assert.Null(await Find(request, department: "tax"));
    }

    [Fact]
    public async Task Idempotency_key_is_taken_once_per_department()
    {
        var key = Guid.NewGuid().ToString();
        var first = await Added(key: key, hash: "hash-a");

        var again = new NewRequest("req_" + Guid.NewGuid().ToString("N"), "health", "birth-certificate", _t0, key, "hash-b");
        Assert.False(await Add(again));
        Assert.Null(await Find(again));
        Assert.Equal(new IdempotencyRecord(first.RequestId, "hash-a"), await InTransaction(store => store.FindIdempotencyKey("health", key)));
        Assert.Null(await InTransaction(store => store.FindIdempotencyKey("tax", key)));
        await Added(department: "tax", key: key);
    }

    [Fact]
    public async Task Concurrent_adds_with_one_key_store_exactly_one_request()
    {
        var key = Guid.NewGuid().ToString();
        var requests = Enumerable.Range(0, 30).Select(_ => New(key: key)).ToList();

        var stored = await Task.WhenAll(requests.Select(r => Task.Run(() => Add(r))));

        var winner = Assert.Single(requests.Where((_, i) => stored[i]));
        Assert.Equal(winner.RequestId, (await InTransaction(store => store.FindIdempotencyKey("health", key)))!.RequestId);
        foreach (var loser in requests.Where((_, i) => !stored[i]))
            Assert.Null(await Find(loser));
    }

    [Fact]
    public async Task Concurrent_adds_without_keys_are_all_stored()
    {
        var requests = Enumerable.Range(0, 50).Select(i => New(department: i % 2 == 0 ? "health" : "tax")).ToList();

        Assert.All(await Task.WhenAll(requests.Select(r => Task.Run(() => Add(r)))), Assert.True);

        foreach (var request in requests)
            Assert.Equal(RequestStatus.Accepted, (await Find(request))!.Status);
    }

    [Fact]
    public async Task Duplicate_update_adds_no_second_timeline_entry()
    {
        var request = await Added();
        var progressed = Update(request, RequestStatus.InProgress, "provider accepted", 1);

        Assert.True(await InTransaction(store => store.Apply(progressed)));
        Assert.False(await InTransaction(store => store.Apply(progressed)));

        var found = await Find(request);
        Assert.Equal(["accepted", "provider accepted"], found!.Timeline.Select(t => t.Step));
        Assert.Equal(RequestStatus.InProgress, found.Status);
    }

    [Fact]
    public async Task Status_never_moves_back_and_the_first_terminal_status_is_final()
    {
        var request = await Added();
        await InTransaction(store => store.Apply(Update(request, RequestStatus.Completed, "completed", 3, result: """{"ok":true}""")));
        await InTransaction(store => store.Apply(Update(request, RequestStatus.InProgress, "provider accepted", 1)));
        await InTransaction(store => store.Apply(Update(request, RequestStatus.TimedOut, "timed-out", 4)));

        var found = await Find(request);
        Assert.Equal((RequestStatus.Completed, """{"ok":true}"""), (found!.Status, found.Result));
        Assert.Equal(["accepted", "provider accepted", "completed", "timed-out"], found.Timeline.Select(t => t.Step));
        Assert.Equal(_t0.AddSeconds(4), found.UpdatedAt);
    }

    [Fact]
    public async Task Update_naming_another_department_or_an_unknown_request_changes_nothing()
    {
        var request = await Added();

        Assert.False(await InTransaction(store => store.Apply(Update(request, RequestStatus.Failed, "failed", 1) with { Department = "tax" })));
        Assert.False(await InTransaction(store => store.Apply(Update(request, RequestStatus.Failed, "failed", 1) with { RequestId = "req_unknown" })));

        var found = await Find(request);
        Assert.Equal(RequestStatus.Accepted, found!.Status);
        Assert.Single(found.Timeline);
    }

    sealed class StoreEndpoint(string name) : HubEndpoint
    {
        public override string Name => name;
        public override MigrationSet? Migrations => GatewayEndpoint.MigrationSet;
        public override void ConfigureServices(IServiceCollection services, Microsoft.Extensions.Configuration.IConfiguration configuration) { }
    }
}

public sealed class InMemoryRequestStoreTests(InMemoryInfrastructure infrastructure) : RequestStoreContract<InMemoryInfrastructure>(infrastructure)
{
    protected override IRequestStore CreateStore(IServiceProvider services) => new InMemoryRequestStore();
}

public sealed class PostgreSqlRequestStoreTests(DurableInfrastructure infrastructure) : RequestStoreContract<DurableInfrastructure>(infrastructure)
{
    protected override IRequestStore CreateStore(IServiceProvider services) => new PostgreSqlRequestStore(new HandlerDatabase());
}
