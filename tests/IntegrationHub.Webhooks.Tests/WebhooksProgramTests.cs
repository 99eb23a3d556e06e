using IntegrationHub.Contracts.Requests.Events;
using IntegrationHub.Hosting;
using IntegrationHub.Testing;
using IntegrationHub.Webhooks.Delivery;
using IntegrationHub.Webhooks.Storage;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace IntegrationHub.Webhooks.Tests;

/// <summary>The Webhooks endpoint's real Program, in its embedded default (no infrastructure).</summary>
public sealed class WebhooksProgramTests : IAsyncLifetime
{
    readonly WireMockServer _receiver = WireMockServer.Start();
    WebApplicationFactory<IntegrationHub.Webhooks.Program> _factory = null!;

    public Task InitializeAsync()
    {
        _receiver.Given(Request.Create().UsingPost()).RespondWith(Response.Create().WithStatusCode(200));
        _factory = new WebApplicationFactory<IntegrationHub.Webhooks.Program>().WithWebHostBuilder(web => web
            .UseSetting("Hub:Auth:DevSigningKey", Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48)))
            .UseSetting("Hub:Webhooks:AllowInsecureCallbacks", "true")
            .UseSetting("Hub:Webhooks:Departments:health:CallbackUrl", _receiver.Url + "/hooks")
            .UseSetting("Hub:Webhooks:Departments:health:Secret", Guid.NewGuid().ToString("N")));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        _receiver.Stop();
    }

    [Fact]
    public async Task Program_delivers_webhooks_and_shows_them_through_the_delivery_reader()
    {
        _ = _factory.CreateClient(); // starts the host
        var requestId = Guid.NewGuid().ToString();
        var id = WebhookPayload.DeliveryIdFor(requestId, WebhookTypes.TimedOut);
        var deliveries = _factory.Services.GetRequiredService<IWebhookDeliveryReader>();

        await _factory.Services.GetRequiredService<HubBusRegistry>().Get("Webhooks").Publish(new RequestTimedOut(requestId, "health", DateTimeOffset.UtcNow));
        await Eventually.Until(async () => (await deliveries.Get(id))?.Status == WebhookStatus.Delivered, TimeSpan.FromSeconds(30), $"webhook {id} is delivered");

        Assert.Single(_receiver.LogEntries);
    }
}
