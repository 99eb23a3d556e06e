using System.Security.Cryptography;
using System.Text.Json.Nodes;
using IntegrationHub.Adapters.Notifications.Simulator;
using IntegrationHub.Hosting.Security;
using IntegrationHub.Notifications.Development;
using IntegrationHub.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace IntegrationHub.Notifications.Tests;

/// <summary>
/// The Notifications endpoint's real Program (Development, simulators off) on one infrastructure with its own Twilio,
/// SendGrid and SMTP relay simulators, their receipts sent to the hub through the test server: department
/// <see cref="Department"/> (SMS through <c>t-twilio</c>; e-mail through <c>t-sendgrid</c>, then <c>t-smtp</c>), and
/// <see cref="Critical"/>, which allows a possible duplicate for critical messages. A provider answers within 1 s or its
/// outcome is unknown.
/// </summary>
public abstract class NotificationsHub : IAsyncLifetime
{
    public const string Department = "health";
    public const string Critical = "emergency";
    public const string Other = "other";
    readonly string _signingKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
    WebApplicationFactory<Program> _factory = null!;

    protected abstract IHubInfrastructure Infrastructure { get; }

    public TwilioSimulator Twilio { get; } = TwilioSimulator.Start();

    public SendGridSimulator SendGrid { get; } = SendGridSimulator.Start();

    public SmtpRelaySimulator Smtp { get; } = new();

    public HttpClient Http { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Infrastructure.InitializeAsync();
        var settings = new Dictionary<string, string?>(Infrastructure.Settings());
        foreach (var (key, value) in DemoNotifications.Settings(Twilio, SendGrid, Smtp, Department, prefix: "t")) settings[key] = value;
        foreach (var (key, value) in DemoNotifications.Settings(Twilio, SendGrid, Smtp, Critical, prefix: "t"))
            if (key.Contains($":Departments:{Critical}:")) settings[key] = value;
        settings[$"Hub:Notifications:Departments:{Critical}:AllowPossibleDuplicates"] = "true";
        settings[$"Hub:Notifications:Departments:{Other}:EmailProviders:0"] = "t-smtp";
        settings["Hub:Notifications:ProviderTimeout"] = "00:00:01";
        settings["Hub:Simulators:Enabled"] = "false";
        settings["Hub:PublicBaseUrl"] = "http://localhost";
        settings["Hub:Auth:DevSigningKey"] = _signingKey;
        foreach (var department in new[] { Department, Critical, Other }) settings[$"Hub:Departments:{department}:RequestsPerMinute"] = "100000";
        settings["Hub:Retries:Delays:0"] = "00:00:00.200";
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            foreach (var (key, value) in settings) web.UseSetting(key, value);
        });
        Http = _factory.CreateClient();
        Twilio.CallingBackWith(() => _factory.CreateClient());
        SendGrid.SendingEventsTo(new Uri(Http.BaseAddress!, "api/v1/notifications/callbacks/sendgrid/t-sendgrid"), () => _factory.CreateClient());
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await _factory.DisposeAsync();
        Twilio.Dispose();
        SendGrid.Dispose();
        Smtp.Dispose();
        await Infrastructure.DisposeAsync();
    }

    public string Token(string department = Department, params string[] scopes) =>
        DevTokens.Create(_signingKey, department, scopes.Length > 0 ? scopes : [NotificationScopes.Read.Name, NotificationScopes.Write.Name], TimeSpan.FromMinutes(10));

    public Task<(HttpResponseMessage Response, JsonNode? Body)> Get(string path, string? token = "") => new JsonApi(() => Http, () => Token()).Get(path, token);

    public Task<(HttpResponseMessage Response, JsonNode? Body)> Post(string path, string json, string? token = "", string? idempotencyKey = null) =>
        new JsonApi(() => Http, () => Token()).Post(path, json, token, idempotencyKey);
}

public sealed class InMemoryNotificationsHub : NotificationsHub
{
    protected override IHubInfrastructure Infrastructure { get; } = new InMemoryInfrastructure();
}

public sealed class DurableNotificationsHub : NotificationsHub
{
    protected override IHubInfrastructure Infrastructure { get; } = new IsolatedDurableInfrastructure { VirtualHostLabel = "notifications" };
}
