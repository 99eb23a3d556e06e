using System.Security.Cryptography;
using System.Collections.Concurrent;
using System.Text;
using IntegrationHub.Adapters.AsyncProvider.Simulator;
using IntegrationHub.Hosting.Security;

namespace IntegrationHub.Host;

/// <summary>
/// For the embedded demo only (<c>Hub:Simulators:Enabled</c>, set in the Development settings): a simulated provider
/// system behind the service "echo", on a loopback port of its own, that accepts every request and answers it by
/// itself a moment later through the hub's signed callback API; and a simulated department system for department
/// "demo", whose webhook receiver (<c>/dev/webhook-receiver</c>) verifies each webhook's signature the way a partner
/// would and lists what it received — so a request goes the whole way with nothing installed.
/// </summary>
internal static class DevelopmentSimulators
{
    public static WebApplicationBuilder AddDevelopmentSimulators(this WebApplicationBuilder builder)
    {
        if (!builder.Configuration.GetValue<bool>("Hub:Simulators:Enabled"))
            return builder;

        var callbackSecret = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
        var answerDelay = builder.Configuration.GetValue("Hub:Simulators:AnswerDelay", TimeSpan.FromSeconds(2));
        var provider = AsyncProviderSimulator.Start().AnsweringAutomatically(callbackSecret, answerDelay);
        builder.Services.AddSingleton(provider); // stopped when the host is disposed

        var webhookSecret = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
        builder.Services.AddSingleton(new DemoWebhookReceiver(webhookSecret));
        var publicBaseUrl = builder.Configuration["Hub:PublicBaseUrl"] ?? "http://127.0.0.1:5080";

        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Hub:Departments:demo:CallbackUrl"] = publicBaseUrl.TrimEnd('/') + DemoWebhookReceiver.Path,
            ["Hub:Departments:demo:WebhookSecret"] = webhookSecret,
            ["Hub:Providers:echo:BaseUrl"] = provider.BaseUrl.ToString(),
            ["Hub:Providers:echo:Auth:Type"] = "None",
            ["Hub:Providers:echo:CallbackSecret"] = callbackSecret,
            ["Hub:Services:echo:Provider"] = "echo",
        });
        builder.Services.AddHostedService(sp => new SimulatorNotice(provider, sp.GetRequiredService<ILogger<SimulatorNotice>>()));
        return builder;
    }

    /// <summary>Maps the demo department's webhook receiver when the simulators are on.</summary>
    public static WebApplication MapDevelopmentSimulators(this WebApplication app)
    {
        if (app.Services.GetService<DemoWebhookReceiver>() is not { } receiver)
            return app;

        var group = app.MapGroup(DemoWebhookReceiver.Path).ExcludeFromDescription();
        group.MapPost("", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            var verdict = receiver.Receive(request.Headers, body.ToArray());
            return verdict == HubSignature.Result.Valid ? Results.Ok() : Results.Unauthorized();
        });
        group.MapGet("", () => Results.Ok(receiver.Received));
        return app;
    }

    sealed class SimulatorNotice(AsyncProviderSimulator provider, ILogger<SimulatorNotice> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            logger.LogWarning("SIMULATED provider 'echo' at {Url} answers every request by itself (Hub:Simulators:Enabled)", provider.BaseUrl);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

/// <summary>What a department's system does with the hub's webhooks: verify the signature, keep the delivery.</summary>
internal sealed class DemoWebhookReceiver(string secret)
{
    public const string Path = "/dev/webhook-receiver";
    readonly ConcurrentQueue<object> _received = new();

    public IEnumerable<object> Received => _received.Reverse().Take(50);

    public HubSignature.Result Receive(IHeaderDictionary headers, byte[] body)
    {
        var verdict = HubSignature.Verify(headers[HubSignature.HeaderName], secret, body, DateTimeOffset.UtcNow);
        _received.Enqueue(new
        {
            receivedAt = DateTimeOffset.UtcNow,
            deliveryId = headers["Hub-Delivery-Id"].ToString(),
            @event = headers["Hub-Event"].ToString(),
            signature = verdict.ToString(),
            body = System.Text.Json.JsonSerializer.Deserialize<System.Text.Json.JsonElement>(Encoding.UTF8.GetString(body)),
        });
        return verdict;
    }
}
