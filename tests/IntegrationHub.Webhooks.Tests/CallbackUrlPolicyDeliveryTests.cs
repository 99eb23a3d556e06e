using IntegrationHub.Contracts.Requests.Events;
using IntegrationHub.Hosting;
using IntegrationHub.Testing;
using IntegrationHub.Webhooks.Delivery;
using IntegrationHub.Webhooks.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace IntegrationHub.Webhooks.Tests;

/// <summary>Outside dev mode, a webhook to a receiver on loopback is refused before anything is sent, and is dead at once.</summary>
public sealed class CallbackUrlPolicyDeliveryTests : IAsyncLifetime
{
    readonly WireMockServer _receiver = WireMockServer.Start();
    readonly string _sender = Names.UniqueEndpoint("Sender");
    readonly WebhooksEndpoint _webhooks = new();
    HubTestHost _host = null!;
    IWebhookDeliveryReader _deliveries = null!;

    public async Task InitializeAsync()
    {
        _receiver.Given(Request.Create().UsingPost()).RespondWith(Response.Create().WithStatusCode(200));
        var secret = Guid.NewGuid().ToString("N");
        var settings = new InMemoryInfrastructure().Settings();
        settings["Hub:Webhooks:AllowInsecureCallbacks"] = "false";
        settings["Hub:Webhooks:RetrySchedule:0"] = "00:00:00.1";
        settings["Hub:Webhooks:Departments:plain:CallbackUrl"] = _receiver.Url + "/hooks";
        settings["Hub:Webhooks:Departments:plain:Secret"] = secret;
        settings["Hub:Webhooks:Departments:internal:CallbackUrl"] = $"https://127.0.0.1:{_receiver.Port}/hooks";
        settings["Hub:Webhooks:Departments:internal:Secret"] = secret;
        settings["Hub:Webhooks:Departments:otherport:CallbackUrl"] = "https://hooks.example:8443/hooks";
        settings["Hub:Webhooks:Departments:otherport:Secret"] = secret;
        settings["Hub:Webhooks:AllowedPorts:0"] = "443";
        settings["Hub:Webhooks:AllowedPorts:1"] = _receiver.Port.ToString(System.Globalization.CultureInfo.InvariantCulture); // so the address is what is refused
        _host = await HubTestHost.Start(settings, _webhooks, new TestEndpoint(_sender, _ => { }));
        _deliveries = _host.Services.GetRequiredService<IWebhookDeliveryReader>();
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _receiver.Stop();
    }

    [Theory]
    [InlineData("plain", "the callback URL must use https")]
    [InlineData("internal", "127.0.0.1 is not a public address")]
    [InlineData("otherport", "port 8443 is not allowed")]
    public async Task Callback_on_loopback_outside_dev_mode_is_refused_and_dead_without_retries(string department, string reason)
    {
        var requestId = Guid.NewGuid().ToString();
        var id = WebhookPayload.DeliveryIdFor(requestId, WebhookTypes.Completed);

        await _host.Bus(_sender).Publish(new RequestCompleted(requestId, department, "{}", DateTimeOffset.UtcNow));
        await Eventually.Until(async () => (await _deliveries.Get(id))?.Status == WebhookStatus.Dead, TimeSpan.FromSeconds(30), $"webhook {id} is dead");

        var delivery = (await _deliveries.Get(id))!;
        Assert.Equal(1, delivery.Attempts);
        Assert.StartsWith(CallbackUrlPolicy.Refused, delivery.LastError);
        Assert.Contains(reason, delivery.LastError);
        Assert.Empty(_receiver.LogEntries);
    }
}
