using IntegrationHub.Hosting.Departments;
using IntegrationHub.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Hosting.Tests;

/// <summary>
/// The department contract's status resources — accept with an idempotency key, replay, refuse a reused key, move
/// forward only, stay within the department — in memory and in PostgreSQL (where new resources go through the group commit).
/// </summary>
public abstract class StatusResourcesContract<TInfrastructure>(TInfrastructure infrastructure)
    : IClassFixture<TInfrastructure>, IAsyncLifetime where TInfrastructure : class, IHubInfrastructure
{
    static readonly StatusKind Kind = new("parcel", ["accepted", "in-transit"], ["delivered", "lost"], "/api/v1/parcels", IdAlias: "parcelId");
    const string Route = "POST /api/v1/parcels";

    readonly string _endpoint = Names.UniqueEndpoint("Parcels");
    // Each test its own time, so that the pruning test's cut-offs take only what that test made.
    readonly DateTimeOffset _t0 = new DateTimeOffset(2025, 11, 24, 9, 0, 0, TimeSpan.Zero).AddMinutes(Random.Shared.Next(1_000_000));
    HubTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await HubTestHost.Start(infrastructure.Settings(), new TestEndpoint(_endpoint, e => e.StatusResources(Kind)));
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await infrastructure.CleanUp(HubEndpoint.QueueNameOf(_endpoint));
    }

    EndpointRuntime Runtime => _host.Services.GetRequiredService<HubBusRegistry>().Runtime(_endpoint);
    StatusResources Status => Runtime.Status;

    NewStatusResource New(string department = "health", string? key = null, string hash = "hash-1") =>
        new("pcl_" + Guid.NewGuid().ToString("N"), department, _t0, new Dictionary<string, string> { ["carrier"] = "post" }, Route, key, hash);

    async Task<(int Status, AcceptedView? Body, bool Replayed)> Accept(NewStatusResource resource)
    {
        var http = new DefaultHttpContext { RequestServices = _host.Services };
        var result = (await Status.Accept(http, Kind, resource, _ => Task.CompletedTask)).Result;
        var replayed = http.Response.Headers[IdempotencyKeys.ReplayedHeader] == "true";
        return result switch
        {
            Accepted<AcceptedView> accepted => (202, accepted.Value, replayed),
            ProblemHttpResult problem => (problem.StatusCode, null, replayed),
            _ => throw new InvalidOperationException($"unexpected {result}"),
        };
    }

    async Task<NewStatusResource> Accepted(string department = "health", string? key = null, string hash = "hash-1")
    {
        var resource = New(department, key, hash);
        Assert.Equal(202, (await Accept(resource)).Status);
        return resource;
    }

    /// <summary>As a projection applies an event: in a transaction of the endpoint (the handled message's, in a handler).</summary>
    async Task<bool> Apply(NewStatusResource resource, string status, string step, int seconds, string? entryId = null, string? result = null,
        string? department = null, string? id = null)
    {
        await using var transaction = Runtime.Transactions.Begin();
        var applied = await Status.Apply(Kind, new StatusUpdate(id ?? resource.Id, department ?? resource.Department,
            entryId ?? Guid.NewGuid().ToString(), status, step, null, _t0.AddSeconds(seconds), result));
        await transaction.Complete();
        return applied;
    }

    Task<StatusResource?> Find(NewStatusResource resource, string? department = null) => Status.Find(Kind, department ?? resource.Department, resource.Id);

    [Fact]
    public async Task Accepted_resource_is_in_its_first_status_and_visible_only_to_its_department()
    {
        var resource = New();

        var (status, body, replayed) = await Accept(resource);

        Assert.Equal((202, false), (status, replayed));
        Assert.Equal((resource.Id, "accepted", $"/api/v1/parcels/{resource.Id}"), (body!.Id, body.Status, body.StatusUrl));
        Assert.Equal(resource.Id, body.Attributes!["parcelId"].GetString());
        var found = await Find(resource);
        Assert.Equal(("accepted", _t0, _t0, "post"), (found!.Status, found.AcceptedAt, found.UpdatedAt, found.Attributes["carrier"]));
        Assert.Equal([new TimelineEntry(_t0, "accepted", null)], found.Timeline);
        Assert.Null(await Find(resource, department: "tax"));
    }

    [Fact]
    public async Task Same_key_and_body_is_a_replay_and_another_body_is_refused()
    {
        var key = Guid.NewGuid().ToString();
        var first = await Accepted(key: key, hash: "hash-a");
        await Apply(first, "in-transit", "picked up", 1);

        var replay = await Accept(New(key: key, hash: "hash-a"));
        Assert.Equal((202, first.Id, "in-transit", true), (replay.Status, replay.Body!.Id, replay.Body.Status, replay.Replayed));

        var reused = New(key: key, hash: "hash-b");
        Assert.Equal(422, (await Accept(reused)).Status);
        Assert.Null(await Find(reused));
    }

    [Fact]
    public async Task Idempotency_key_is_per_department_and_route()
    {
        var key = Guid.NewGuid().ToString();
        var health = await Accepted(key: key);

        var tax = await Accepted(department: "tax", key: key);
        var otherRoute = New(key: key) with { Route = "POST /api/v1/other" };
        Assert.Equal(202, (await Accept(otherRoute)).Status);

        Assert.NotEqual(health.Id, tax.Id);
        Assert.NotNull(await Find(otherRoute));
    }

    [Fact]
    public async Task Concurrent_accepts_with_one_key_store_exactly_one_resource()
    {
        var key = Guid.NewGuid().ToString();
        var resources = Enumerable.Range(0, 30).Select(_ => New(key: key)).ToList();

        var outcomes = await Task.WhenAll(resources.Select(r => Task.Run(() => Accept(r))));

        Assert.All(outcomes, o => Assert.True(o.Status is 202 or 409, $"status {o.Status}"));
        var ids = outcomes.Where(o => o.Status == 202).Select(o => o.Body!.Id).Distinct().ToList();
        var winner = Assert.Single(ids);
        foreach (var loser in resources.Where(r => r.Id != winner))
            Assert.Null(await Find(loser));
    }

    [Fact]
    public async Task Concurrent_accepts_without_keys_are_all_stored()
    {
        var resources = Enumerable.Range(0, 50).Select(i => New(department: i % 2 == 0 ? "health" : "tax")).ToList();

        Assert.All(await Task.WhenAll(resources.Select(r => Task.Run(() => Accept(r)))), o => Assert.Equal(202, o.Status));

        foreach (var resource in resources)
            Assert.Equal("accepted", (await Find(resource))!.Status);
    }

    [Fact]
    public async Task A_resource_the_endpoint_starts_itself_commits_with_its_transaction_once_and_moves_on_like_any_other()
    {
        var resource = New() with { IdempotencyKey = null };

        await using (var transaction = Runtime.Transactions.Begin())
        {
            Assert.True(await Status.Start(Kind, resource));
            await transaction.Complete();
        }
        await using (var again = Runtime.Transactions.Begin())
        {
            Assert.False(await Status.Start(Kind, resource with { Attributes = new Dictionary<string, string> { ["carrier"] = "courier" } }));
            await again.Complete();
        }
        Assert.True(await Apply(resource, "delivered", "signed for", 5));

        var found = await Find(resource);
        Assert.Equal(("delivered", "post"), (found!.Status, found.Attributes["carrier"]));
        Assert.Equal(["accepted", "signed for"], found.Timeline.Select(t => t.Step));
        Assert.Null(await Find(resource, department: "archive"));
    }

    [Fact]
    public async Task Duplicate_update_adds_no_second_timeline_entry()
    {
        var resource = await Accepted();
        var entry = Guid.NewGuid().ToString();

        Assert.True(await Apply(resource, "in-transit", "picked up", 1, entryId: entry));
        Assert.False(await Apply(resource, "in-transit", "picked up", 1, entryId: entry));

        var found = await Find(resource);
        Assert.Equal(["accepted", "picked up"], found!.Timeline.Select(t => t.Step));
        Assert.Equal("in-transit", found.Status);
    }

    [Fact]
    public async Task Status_never_moves_back_and_the_first_final_status_is_kept()
    {
        var resource = await Accepted();
        await Apply(resource, "delivered", "delivered", 3, result: """{"signedBy":"A. Khan"}""");
        await Apply(resource, "in-transit", "picked up", 1);
        await Apply(resource, "lost", "lost", 4);

        var found = await Find(resource);
        Assert.Equal(("delivered", """{"signedBy":"A. Khan"}"""), (found!.Status, found.Result));
        Assert.Equal(["accepted", "picked up", "delivered", "lost"], found.Timeline.Select(t => t.Step));
        Assert.Equal(_t0.AddSeconds(4), found.UpdatedAt);
    }

    [Fact]
    public async Task Update_naming_another_department_or_an_unknown_resource_changes_nothing()
    {
        var resource = await Accepted();

        Assert.False(await Apply(resource, "lost", "lost", 1, department: "tax"));
        Assert.False(await Apply(resource, "lost", "lost", 1, id: "pcl_unknown"));

        var found = await Find(resource);
        Assert.Equal("accepted", found!.Status);
        Assert.Single(found.Timeline);
    }

    [Fact]
    public async Task Ended_resources_and_old_keys_are_pruned_and_running_ones_kept()
    {
        var key = Guid.NewGuid().ToString();
        var ended = await Accepted(key: key);
        var running = await Accepted();
        await Apply(ended, "delivered", "delivered", 10);
        var store = Status.Store;

        await store.PruneEnded(Kind, _t0.AddSeconds(5), 100, CancellationToken.None);
        Assert.NotNull(await Find(ended));
        await store.PruneIdempotencyKeys(Kind, _t0.AddSeconds(1), 100, CancellationToken.None);
        var again = New(key: key);
        var outcome = await Accept(again); // the key is forgotten: a new resource, not a replay
        Assert.Equal((202, again.Id, false), (outcome.Status, outcome.Body!.Id, outcome.Replayed));

        await store.PruneEnded(Kind, _t0.AddSeconds(11), 100, CancellationToken.None);
        Assert.Null(await Find(ended));
        Assert.NotNull(await Find(running));
        await store.PruneUnfinished(Kind, _t0.AddSeconds(1), 100, CancellationToken.None);
        Assert.Null(await Find(running));
    }
}

public sealed class StatusResources_InMemory(InMemoryInfrastructure infrastructure) : StatusResourcesContract<InMemoryInfrastructure>(infrastructure);

public sealed class StatusResources_PostgreSql(DurableInfrastructure infrastructure) : StatusResourcesContract<DurableInfrastructure>(infrastructure);
