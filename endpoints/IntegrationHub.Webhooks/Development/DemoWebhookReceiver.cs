using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using IntegrationHub.Hosting.Http;
using IntegrationHub.Hosting.Security;
using IntegrationHub.Webhooks.Delivery;

namespace IntegrationHub.Webhooks.Development;

/// <summary>
/// For the embedded demo only (<c>Hub:Simulators:Enabled</c>): the system of department <c>demo</c>, which receives its
/// webhooks at <c>/dev/webhook-receiver</c> on the hub itself, verifies each signature the way a partner would and lists
/// what it received (<c>GET /dev/webhook-receiver</c>) — so a request goes the whole way with nothing installed.
/// </summary>
internal sealed class DemoWebhookReceiver(string secret)
{
    public const string Path = "/dev/webhook-receiver";
    public const string Department = "demo";
    const int Kept = 50;
    const int MaxBodyBytes = 1024 * 1024; // anonymous, even in development: bounded
    readonly ConcurrentQueue<object> _received = new();

    public static void Add(IHostApplicationBuilder builder)
    {
        var secret = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
        var publicBaseUrl = builder.Configuration["Hub:PublicBaseUrl"] ?? "http://127.0.0.1:5080";
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"{WebhookOptions.DepartmentsSection}:{Department}:CallbackUrl"] = publicBaseUrl.TrimEnd('/') + Path,
            [$"{WebhookOptions.DepartmentsSection}:{Department}:Secret"] = secret,
        });
        builder.Services.AddSingleton(new DemoWebhookReceiver(secret));
    }

    public static void Map(IEndpointRouteBuilder routes)
    {
        var receiver = routes.ServiceProvider.GetRequiredService<DemoWebhookReceiver>();
        var group = routes.MapGroup(Path).ExcludeFromDescription().AllowAnonymous();
        group.MapPost("", async (HttpRequest request) =>
        {
            if (await RequestBodies.ReadLimited(request, MaxBodyBytes) is not { } body)
                return RequestBodies.TooLarge(MaxBodyBytes);
            var verdict = receiver.Receive(request.Headers, body);
            return verdict == HubSignature.Result.Valid ? Results.Ok() : Results.Unauthorized();
        });
        group.MapGet("", () => Results.Ok(receiver._received.Reverse().Take(Kept)));
    }

    HubSignature.Result Receive(IHeaderDictionary headers, byte[] body)
    {
        var verdict = HubSignature.Verify(headers[HubSignature.HeaderName], secret, body, DateTimeOffset.UtcNow);
        JsonElement? json = null;
        try
        {
            json = JsonSerializer.Deserialize<JsonElement>(body);
        }
        catch (JsonException)
        {
            // shown as text below
        }
        _received.Enqueue(new
        {
            receivedAt = DateTimeOffset.UtcNow,
            deliveryId = headers[WebhookSender.DeliveryIdHeader].ToString(),
            @event = headers[WebhookSender.EventHeader].ToString(),
            signature = verdict.ToString(),
            body = json ?? JsonSerializer.SerializeToElement(Encoding.UTF8.GetString(body)),
        });
        while (_received.Count > Kept * 2 && _received.TryDequeue(out _)) { }
        return verdict;
    }
}
