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

/// <summary>
/// The Webhooks endpoint's real Program, in its embedded default (no infrastructure): it delivers with the department
/// settings in their section, and — for one release — with a deployment's old keys, which it reports.
/// </summary>
public sealed class WebhooksProgramTests : IAsyncDisposable
{
    readonly WireMockServer _receiver = WireMockServer.Start();
    readonly List<WebApplicationFactory<IntegrationHub.Webhooks.Program>> _factories = [];

    public WebhooksProgramTests() =>
        _receiver.Given(Request.Create().UsingPost()).RespondWith(Response.Create().WithStatusCode(200));

    WebApplicationFactory<IntegrationHub.Webhooks.Program> Program(params (string Key, string Value)[] settings)
    {
        var factory = new WebApplicationFactory<IntegrationHub.Webhooks.Program>().WithWebHostBuilder(web =>
        {
            web.UseSetting("Hub:Auth:DevSigningKey", Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48)));
            web.UseSetting("Hub:Webhooks:AllowInsecureCallbacks", "true");
            foreach (var (key, value) in settings) web.UseSetting(key, value);
        });
        _factories.Add(factory);
        _ = factory.CreateClient(); // starts the host
        return factory;
    }

    /// <summary>Publishes a request event as the Providers endpoint would, and waits until its webhook is delivered.</summary>
    static async Task Delivered(WebApplicationFactory<IntegrationHub.Webhooks.Program> factory, object @event, string requestId, string type)
    {
        var id = WebhookPayload.DeliveryIdFor(requestId, type);
        var deliveries = factory.Services.GetRequiredService<IWebhookDeliveryReader>();
        await factory.Services.GetRequiredService<HubBusRegistry>().Get("Webhooks").Publish(@event);
        await Eventually.Until(async () => (await deliveries.Get(id))?.Status == WebhookStatus.Delivered, TimeSpan.FromSeconds(30), $"webhook {id} is delivered");
    }

    [Fact]
    public async Task Program_delivers_webhooks_and_shows_them_through_the_delivery_reader()
    {
        var factory = Program(("Hub:Webhooks:Departments:health:CallbackUrl", _receiver.Url + "/hooks"),
            ("Hub:Webhooks:Departments:health:Secret", Guid.NewGuid().ToString("N")));
        var requestId = Guid.NewGuid().ToString();

        await Delivered(factory, new RequestTimedOut(requestId, "health", DateTimeOffset.UtcNow), requestId, WebhookTypes.TimedOut);

        Assert.Single(_receiver.LogEntries);
        Assert.Empty(factory.Services.GetRequiredService<IntegrationHub.Hosting.Configuration.HubConfiguration>().Warnings);
    }

    [Fact]
    public async Task Department_callback_under_its_old_key_is_still_delivered_and_the_old_keys_are_reported()
    {
        var factory = Program(("Hub:Departments:health:CallbackUrl", _receiver.Url + "/hooks"),
            ("Hub:Departments:health:WebhookSecret", Guid.NewGuid().ToString("N")), ("Hub:Retention:DeliveredWebhooks", "12.00:00:00"));
        var requestId = Guid.NewGuid().ToString();

        await Delivered(factory, new RequestCompleted(requestId, "health", "{}", DateTimeOffset.UtcNow), requestId, WebhookTypes.Completed);

        var warnings = factory.Services.GetRequiredService<IntegrationHub.Hosting.Configuration.HubConfiguration>().Warnings;
        Assert.Contains(warnings, w => w.Contains("'Hub:Departments:health:CallbackUrl' has moved to 'Hub:Webhooks:Departments:health:CallbackUrl'"));
        Assert.Contains(warnings, w => w.Contains("'Hub:Departments:health:WebhookSecret' has moved to 'Hub:Webhooks:Departments:health:Secret'"));
        Assert.Contains(warnings, w => w.Contains("'Hub:Retention:DeliveredWebhooks' has moved to 'Hub:Webhooks:Retention:Delivered'"));
        Assert.Equal(TimeSpan.FromDays(12), factory.Services.GetRequiredService<IntegrationHub.Webhooks.Retention.WebhookRetentionOptions>().Delivered);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var factory in _factories) await factory.DisposeAsync();
        _receiver.Stop();
    }
}

/// <summary>docs/webhooks.md is where partners learn the webhook types: it names every one the contracts declare.</summary>
public sealed class WebhookTypesDocumentationTests
{
    [Fact]
    public void Partner_documentation_lists_every_webhook_type()
    {
        var docs = RepositoryFiles.Read("docs", "webhooks.md");

        Assert.NotEmpty(WebhookCatalog.WebhookTypes);
        foreach (var type in WebhookCatalog.WebhookTypes)
            Assert.Contains($"`{type}`", docs);
    }
}
