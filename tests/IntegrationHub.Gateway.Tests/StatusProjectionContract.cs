using System.Net.Http.Json;
using IntegrationHub.Contracts.Requests.Events;
using IntegrationHub.Hosting.Bus;
using IntegrationHub.Testing;
using RebusHeaders = Rebus.Messages.Headers;

namespace IntegrationHub.Gateway.Tests;

/// <summary>What <c>GET /api/v1/requests/{id}</c> shows once the request's events are published; in memory and on RabbitMQ + PostgreSQL.</summary>
public abstract class StatusProjectionContract<TGateway>(TGateway gateway) : IClassFixture<TGateway> where TGateway : GatewayFixture
{
    [Fact]
    public async Task Events_of_a_request_show_as_its_status_result_and_timeline_in_order()
    {
        var id = await gateway.Submit(GatewayFixture.Health, "projection");
        var start = GatewayFixture.Now();
        await Publish(new RequestProgressed(id, GatewayFixture.Health, "forwarded to provider", "civil-registry", start.AddSeconds(1)));
        await Publish(new RequestCompleted(id, GatewayFixture.Health, """{ "certificate": "BC-1" }""", start.AddSeconds(2)));

        var status = await WaitForStatus(id, "completed");

        Assert.Equal("BC-1", status.Result!.Value.GetProperty("certificate").GetString());
        Assert.Equal(["accepted", "forwarded to provider", "completed"], status.Timeline.Select(t => t.Step));
        Assert.Equal("civil-registry", status.Timeline[1].Detail);
        Assert.Equal(start.AddSeconds(2), status.UpdatedAt);
    }

    [Fact]
    public async Task Duplicate_event_adds_no_second_timeline_entry()
    {
        var id = await gateway.Submit(GatewayFixture.Health, "duplicate");
        var progressed = new RequestProgressed(id, GatewayFixture.Health, "provider accepted", null, GatewayFixture.Now());
        var messageId = Guid.NewGuid().ToString();

        await Publish(progressed, messageId);
        await Publish(progressed, messageId);
        await Publish(new RequestFailed(id, GatewayFixture.Health, "provider refused: unknown district", GatewayFixture.Now().AddSeconds(1)));

        // The gateway handles one message at a time, in order: once the failure shows, both copies were handled.
        var status = await WaitForStatus(id, "failed");
        Assert.Equal(["accepted", "provider accepted", "failed"], status.Timeline.Select(t => t.Step));
        Assert.Equal("provider refused: unknown district", status.Error);
    }

    [Fact]
    public async Task Late_progress_after_completion_does_not_move_the_status_back()
    {
        var id = await gateway.Submit(GatewayFixture.Health, "late");
        var start = GatewayFixture.Now();
        await Publish(new RequestTimedOut(id, GatewayFixture.Health, start.AddSeconds(2)));
        await Publish(new RequestProgressed(id, GatewayFixture.Health, "provider accepted", null, start.AddSeconds(1)));
        await Publish(new RequestCompleted(id, GatewayFixture.Health, "{}", start.AddSeconds(3)));
        await WaitFor(id, s => s.Timeline.Count == 4, "all three events applied");

        var status = await WaitForStatus(id, "timed-out");

        Assert.Null(status.Result);
        Assert.Equal(["accepted", "provider accepted", "timed-out", "completed"], status.Timeline.Select(t => t.Step));
    }

    [Fact]
    public async Task Event_naming_another_department_changes_nothing()
    {
        var id = await gateway.Submit(GatewayFixture.Health, "wrong-tenant");
        await Publish(new RequestCompleted(id, GatewayFixture.Tax, """{ "leak": true }""", GatewayFixture.Now()));
        await Publish(new RequestProgressed(id, GatewayFixture.Health, "provider accepted", null, GatewayFixture.Now()));

        var status = await WaitForStatus(id, "in-progress");

        Assert.Null(status.Result);
        Assert.Equal(["accepted", "provider accepted"], status.Timeline.Select(t => t.Step));
    }

    [Fact]
    public async Task Event_of_a_conversation_begun_before_ids_were_lower_case_still_reaches_its_request()
    {
        // A provider conversation started before the upgrade carries the department as the token spelled it.
        var id = await gateway.Submit(GatewayFixture.Health, "old-spelling");
        await Publish(new RequestCompleted(id, GatewayFixture.Health.ToUpperInvariant(), """{ "certificate": "BC-7" }""", GatewayFixture.Now()));

        var status = await WaitForStatus(id, "completed");

        Assert.Equal("BC-7", status.Result!.Value.GetProperty("certificate").GetString());
    }

    Task Publish(object @event, string? messageId = null)
    {
        var headers = new Dictionary<string, string> { [HubHeaders.Tenant] = GatewayFixture.Health };
        if (messageId is not null) headers[RebusHeaders.MessageId] = messageId;
        return gateway.ProvidersBus.Publish(@event, headers);
    }

    Task<StatusBody> WaitForStatus(string id, string status) => WaitFor(id, s => s.Status == status, $"request {id} is {status}");

    async Task<StatusBody> WaitFor(string id, Func<StatusBody, bool> condition, string because)
    {
        StatusBody? last = null;
        var token = gateway.Token(GatewayFixture.Health);
        await Eventually.Until(async () =>
        {
            last = await (await gateway.Get(token, $"/api/v1/requests/{id}")).Content.ReadFromJsonAsync<StatusBody>();
            return condition(last!);
        }, TimeSpan.FromSeconds(30), because);
        return last!;
    }
}

public sealed class StatusProjection_InMemory(GatewayFixture gateway) : StatusProjectionContract<GatewayFixture>(gateway);

public sealed class StatusProjection_RabbitMqPostgreSql(DurableGatewayFixture gateway) : StatusProjectionContract<DurableGatewayFixture>(gateway);
