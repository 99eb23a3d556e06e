using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using IntegrationHub.Contracts.Providers.Commands;
using IntegrationHub.Contracts.Requests.Events;
using IntegrationHub.Hosting.Bus;
using IntegrationHub.Testing;

namespace IntegrationHub.Gateway.Tests;

/// <summary><c>POST /api/v1/requests</c> through the gateway's HTTP pipeline, in memory and on RabbitMQ + PostgreSQL.</summary>
public abstract class SubmitRequestContract<TGateway>(TGateway gateway) : IClassFixture<TGateway> where TGateway : GatewayFixture
{
    [Fact]
    public async Task Accepted_request_answers_202_with_its_status_url_and_is_handed_to_the_provider_and_announced()
    {
        var response = await gateway.Post(gateway.Token(GatewayFixture.Health), GatewayFixture.Body("accepted"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = (await response.Content.ReadFromJsonAsync<AcceptedBody>())!;
        Assert.Matches("^req_[0-9a-f]{32}$", accepted.RequestId);
        Assert.Equal("accepted", accepted.Status);
        Assert.Equal($"/api/v1/requests/{accepted.RequestId}", accepted.StatusUrl);
        Assert.Equal(accepted.StatusUrl, response.Headers.Location?.OriginalString);

        var forwarded = await gateway.Recorder.WaitFor<ForwardRequest>(f => f.RequestId == accepted.RequestId);
        var command = (ForwardRequest)forwarded.Message;
        Assert.Equal((GatewayFixture.Health, GatewayFixture.Service, GatewayFixture.Provider), (command.Tenant, command.Service, command.Provider));
        Assert.Equal("test-accepted", JsonDocument.Parse(command.Payload).RootElement.GetProperty("child").GetString());
        Assert.Equal(GatewayFixture.Health, forwarded.Headers[HubHeaders.Tenant]);
        Assert.Equal(accepted.RequestId, forwarded.Headers[Rebus.Messages.Headers.CorrelationId]);

        var announced = await gateway.Recorder.WaitFor<RequestAccepted>(a => a.RequestId == accepted.RequestId);
        Assert.Equal(GatewayFixture.Health, ((RequestAccepted)announced.Message).Tenant);
        Assert.Equal(accepted.RequestId, announced.Headers[Rebus.Messages.Headers.CorrelationId]);
        if (gateway.Durable is not null)
            Assert.Equal(1, await gateway.Query<long>(
                $"SELECT count(*) FROM hub.status_resources WHERE id = '{accepted.RequestId}' AND department = '{GatewayFixture.Health}'"));
    }

    [Fact]
    public async Task Accepted_request_shows_as_accepted_with_its_first_timeline_step()
    {
        var id = await gateway.Submit(GatewayFixture.Health, "status");

        var response = await gateway.Get(gateway.Token(GatewayFixture.Health), $"/api/v1/requests/{id}");
        var status = (await response.Content.ReadFromJsonAsync<StatusBody>())!;

        Assert.Equal((id, GatewayFixture.Service, "accepted"), (status.RequestId, status.Service, status.Status));
        Assert.Equal(["accepted"], status.Timeline.Select(t => t.Step));
        Assert.Null(status.Result);
        Assert.Null(status.Error);
    }

    [Theory]
    [InlineData("{ not json", "body")]
    [InlineData("", "body")]
    [InlineData("[1, 2]", "body")]
    [InlineData("""{ "payload": { "a": 1 } }""", "service")]
    [InlineData("""{ "service": "birth-certificate" }""", "payload")]
    [InlineData("""{ "service": "birth-certificate", "payload": "text" }""", "payload")]
    public async Task Malformed_body_gets_400_problem_naming_what_is_wrong(string body, string field)
    {
        var response = await gateway.Post(gateway.Token(GatewayFixture.Health), body);

        var problem = await response.AssertProblem(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task Unknown_service_gets_422_naming_the_known_ones_and_nothing_is_sent()
    {
        var response = await gateway.Post(gateway.Token(GatewayFixture.Health), GatewayFixture.Body("unknown-service", service: "horoscope"));

        var problem = await response.AssertProblem(HttpStatusCode.UnprocessableEntity, "'horoscope'");
        Assert.Contains(GatewayFixture.Service, problem.GetProperty("detail").GetString());
        await gateway.SentMessagesArrived();
        Assert.DoesNotContain(gateway.Recorder.OfType<ForwardRequest>(), f => f.Service == "horoscope");
    }
}

public sealed class SubmitRequest_InMemory(GatewayFixture gateway) : SubmitRequestContract<GatewayFixture>(gateway);

public sealed class SubmitRequest_RabbitMqPostgreSql(DurableGatewayFixture gateway) : SubmitRequestContract<DurableGatewayFixture>(gateway);
