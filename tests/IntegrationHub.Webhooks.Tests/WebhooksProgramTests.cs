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

/// <summary>A deployment configured before webhooks had their own section keeps its webhooks (one release), with a warning.</summary>
public sealed class WebhooksOldSettingsTests : IAsyncLifetime
{
    readonly WireMockServer _receiver = WireMockServer.Start();
    WebApplicationFactory<IntegrationHub.Webhooks.Program> _factory = null!;

    public Task InitializeAsync()
    {
        _receiver.Given(Request.Create().UsingPost()).RespondWith(Response.Create().WithStatusCode(200));
        _factory = new WebApplicationFactory<IntegrationHub.Webhooks.Program>().WithWebHostBuilder(web => web
            .UseSetting("Hub:Auth:DevSigningKey", Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48)))
            .UseSetting("Hub:Webhooks:AllowInsecureCallbacks", "true")
            .UseSetting("Hub:Departments:health:CallbackUrl", _receiver.Url + "/hooks")
            .UseSetting("Hub:Departments:health:WebhookSecret", Guid.NewGuid().ToString("N"))
            .UseSetting("Hub:Retention:DeliveredWebhooks", "12.00:00:00"));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        _receiver.Stop();
    }

    [Fact]
    public async Task Department_callback_under_its_old_key_is_still_delivered_and_the_old_keys_are_reported()
    {
        _ = _factory.CreateClient(); // starts the host
        var requestId = Guid.NewGuid().ToString();
        var id = WebhookPayload.DeliveryIdFor(requestId, WebhookTypes.Completed);
        var deliveries = _factory.Services.GetRequiredService<IWebhookDeliveryReader>();

        await _factory.Services.GetRequiredService<HubBusRegistry>().Get("Webhooks").Publish(new RequestCompleted(requestId, "health", "{}", DateTimeOffset.UtcNow));
        await Eventually.Until(async () => (await deliveries.Get(id))?.Status == WebhookStatus.Delivered, TimeSpan.FromSeconds(30), $"webhook {id} is delivered");

        var warnings = _factory.Services.GetRequiredService<IntegrationHub.Hosting.Configuration.HubConfiguration>().Warnings;
        Assert.Contains(warnings, w => w.Contains("'Hub:Departments:health:CallbackUrl' has moved to 'Hub:Webhooks:Departments:health:CallbackUrl'"));
        Assert.Contains(warnings, w => w.Contains("'Hub:Departments:health:WebhookSecret' has moved to 'Hub:Webhooks:Departments:health:Secret'"));
        Assert.Contains(warnings, w => w.Contains("'Hub:Retention:DeliveredWebhooks' has moved to 'Hub:Webhooks:Retention:Delivered'"));
        Assert.Equal(TimeSpan.FromDays(12), _factory.Services.GetRequiredService<IntegrationHub.Webhooks.Retention.WebhookRetentionOptions>().Delivered);
    }
}

/// <summary>docs/webhooks.md is where partners learn the webhook types: it names every one the contracts declare.</summary>
public sealed class WebhookTypesDocumentationTests
{
    [Fact]
    public void Partner_documentation_lists_every_webhook_type()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "IntegrationHub.sln"))) directory = directory.Parent;
        var docs = File.ReadAllText(Path.Combine(directory!.FullName, "docs", "webhooks.md"));

        Assert.NotEmpty(WebhookCatalog.WebhookTypes);
        foreach (var type in WebhookCatalog.WebhookTypes)
            Assert.Contains($"`{type}`", docs);
    }
}
