using System.CommandLine;
using System.Text.Json;
using IntegrationHub.Contracts.Requests.Events;
using IntegrationHub.Ctl;
using IntegrationHub.Testing;
using IntegrationHub.Webhooks.Delivery;
using IntegrationHub.Webhooks.Storage;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace IntegrationHub.Webhooks.Tests;

/// <summary>An operator finds dead webhooks with hubctl (PostgreSQL store) and replays them (command over RabbitMQ).</summary>
public sealed class HubctlWebhooksTests(IsolatedDurableInfrastructure infrastructure) : IClassFixture<IsolatedDurableInfrastructure>, IAsyncLifetime
{
    readonly WireMockServer _receiver = WireMockServer.Start();
    readonly string _sender = Names.UniqueEndpoint("Sender");
    readonly WebhooksEndpoint _webhooks = new();
    HubTestHost _host = null!;
    IWebhookDeliveryReader _deliveries = null!;

    public async Task InitializeAsync()
    {
        var settings = infrastructure.Settings();
        settings["Hub:Webhooks:AllowInsecureCallbacks"] = "true";
        settings["Hub:Webhooks:RetrySchedule:0"] = "00:00:00.1";
        settings["Hub:Webhooks:Departments:health:CallbackUrl"] = _receiver.Url + "/hooks";
        settings["Hub:Webhooks:Departments:health:Secret"] = Guid.NewGuid().ToString("N");
        _host = await HubTestHost.Start(settings, _webhooks, new TestEndpoint(_sender, _ => { }));
        _deliveries = new PostgreSqlWebhookDeliveryReader(infrastructure.PostgresConnectionString);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _receiver.Stop();
    }

    [Fact]
    public async Task Hubctl_lists_a_dead_webhook_and_replays_it_until_delivered()
    {
        _receiver.Given(Request.Create().UsingPost()).RespondWith(Response.Create().WithStatusCode(500));
        var requestId = Guid.NewGuid().ToString();
        var id = WebhookPayload.DeliveryIdFor(requestId, WebhookTypes.Completed);
        await _host.Bus(_sender).Publish(new RequestCompleted(requestId, "health", "{}", DateTimeOffset.UtcNow));
        await WaitForStatus(id, WebhookStatus.Dead);

        var (code, output, _) = await Hubctl("webhooks", "list", "--status", "dead", "--department", "health");
        Assert.Equal(ExitCodes.Ok, code);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
        Assert.Matches(@"^ID\s+DEPARTMENT\s+EVENT\s+STATUS\s+ATTEMPTS\s+LAST ATTEMPT\s+CODE\s+LAST ERROR$", lines[0]);
        Assert.Matches($@"^{id}\s+health\s+request.completed\s+dead\s+2\s+\S+ \S+Z\s+500\s+the receiver answered 500", lines[1]);

        (code, output, _) = await Hubctl("webhooks", "list", "--json");
        using (var json = JsonDocument.Parse(output))
        {
            var listed = Assert.Single(json.RootElement.EnumerateArray(), d => d.GetProperty("id").GetString() == id);
            Assert.Equal("dead", listed.GetProperty("status").GetString());
            Assert.False(listed.TryGetProperty("payload", out _));
        }

        _receiver.Reset();
        _receiver.Given(Request.Create().UsingPost()).RespondWith(Response.Create().WithStatusCode(204));
        (code, output, _) = await Hubctl("webhooks", "replay", id);
        Assert.Equal(ExitCodes.Ok, code);
        Assert.Contains($"replaying  {id}", output);
        await WaitForStatus(id, WebhookStatus.Delivered);

        var (again, _, error) = await Hubctl("webhooks", "replay", id);
        Assert.Equal(ExitCodes.Failed, again);
        Assert.Contains("was delivered already; add --force", error);
        (code, output, _) = await Hubctl("webhooks", "replay", "--all-dead");
        Assert.Equal(ExitCodes.Ok, code);
        Assert.Equal("No dead webhook deliveries.", output.Trim());
    }

    [Fact]
    public async Task Hubctl_replay_of_an_unknown_delivery_exits_1_with_the_reason()
    {
        var (code, _, error) = await Hubctl("webhooks", "replay", "no-such-delivery");

        Assert.Equal(ExitCodes.Failed, code);
        Assert.Equal("hubctl: no webhook delivery with id 'no-such-delivery'", error.Trim());
    }

    [Fact]
    public async Task Hubctl_against_an_unreachable_database_exits_2_without_the_password()
    {
        var (code, _, error) = await Hubctl("webhooks", "list", "--postgres", "Host=127.0.0.1;Port=1;Username=hub;Password=s3cret;Database=hub;Timeout=2");

        Assert.Equal(ExitCodes.Unavailable, code);
        Assert.Contains("cannot reach PostgreSQL at 127.0.0.1:1/hub", error);
        Assert.DoesNotContain("s3cret", error);
    }

    async Task WaitForStatus(string id, string status) =>
        await Eventually.Until(async () => (await _deliveries.Get(id))?.Status == status, TimeSpan.FromSeconds(60), $"webhook {id} is {status}");

    async Task<(int Code, string Output, string Error)> Hubctl(params string[] args)
    {
        string[] withStores = args.Contains("--postgres")
            ? args
            : [.. args, "--postgres", infrastructure.PostgresConnectionString, .. args.Contains("replay") ? new[] { "--rabbitmq", infrastructure.RabbitMqConnectionString } : []];
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await IntegrationHub.Ctl.Program.CreateRootCommand().Parse(withStores)
            .InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }
}
