using System.Security.Cryptography;
using System.Text.Json.Nodes;
using IntegrationHub.Adapters.Payments.Simulator;
using IntegrationHub.Adapters.Stripe;
using IntegrationHub.Adapters.JazzCash;
using IntegrationHub.Hosting.Security;
using IntegrationHub.Payments.Development;
using IntegrationHub.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace IntegrationHub.Payments.Tests;

/// <summary>
/// The Payments endpoint's real Program (Development, simulators off) on one infrastructure, with its own Stripe and
/// JazzCash simulators calling it back through the test server: department <see cref="Department"/> with accounts
/// <see cref="DemoPayments.StripeAccount"/> and <see cref="DemoPayments.JazzCashAccount"/>, short waits so that polling
/// and expiry take seconds.
/// </summary>
public abstract class PaymentsHub : IAsyncLifetime
{
    public const string Department = "revenue";
    public const string Other = "other";
    public static readonly Uri ReturnUrl = new("https://revenue.example.gov/payments/done");
    public static readonly TimeSpan Expiry = TimeSpan.FromSeconds(6);
    readonly string _signingKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
    WebApplicationFactory<Program> _factory = null!;

    protected abstract IHubInfrastructure Infrastructure { get; }

    public StripeSimulator Stripe { get; } = StripeSimulator.Start();

    public JazzCashSimulator JazzCash { get; } = JazzCashSimulator.Start();

    public HttpClient Http { get; private set; } = null!;

    public IServiceProvider Services => _factory.Services;

    public async Task InitializeAsync()
    {
        await Infrastructure.InitializeAsync();
        var settings = new Dictionary<string, string?>(Infrastructure.Settings());
        foreach (var (key, value) in DemoPayments.Settings(Stripe, JazzCash, ReturnUrl, Department)) settings[key] = value;
        // The other department has an account of its own, so that isolation is tested between two that could pay.
        settings[$"Hub:Payments:Departments:{Other}:Accounts:other-stripe:Gateway"] = StripeGateway.Name;
        settings[$"Hub:Payments:Departments:{Other}:Accounts:other-stripe:SecretKey"] = StripeSimulator.SecretKey;
        settings[$"Hub:Payments:Departments:{Other}:Accounts:other-stripe:PublishableKey"] = StripeSimulator.PublishableKey;
        settings[$"Hub:Payments:Departments:{Other}:Accounts:other-stripe:WebhookSecrets:0"] = "whsec_other_department";
        settings[$"Hub:Payments:Departments:{Other}:Accounts:other-stripe:ApiBase"] = Stripe.ApiBase.ToString();
        settings["Hub:Simulators:Enabled"] = "false";
        settings["Hub:PublicBaseUrl"] = "http://localhost";
        settings["Hub:Auth:DevSigningKey"] = _signingKey;
        settings[$"Hub:Departments:{Department}:RequestsPerMinute"] = "100000";
        settings[$"Hub:Departments:{Other}:RequestsPerMinute"] = "100000";
        settings["Hub:Payments:Payment:Expiry"] = "00:00:06";
        settings["Hub:Payments:Payment:PollAfter"] = "00:00:00.500";
        settings["Hub:Payments:Payment:MaxPollInterval"] = "00:00:01";
        settings["Hub:Retries:Delays:0"] = "00:00:00.200";
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            foreach (var (key, value) in settings) web.UseSetting(key, value);
        });
        Http = _factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        HttpClient Client() => _factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        Stripe.SendingEventsTo(new Uri(Http.BaseAddress!, $"api/v1/payments/callbacks/{StripeGateway.Name}/{DemoPayments.StripeAccount}"), Client);
        JazzCash.SendingIpnsTo(new Uri(Http.BaseAddress!, $"api/v1/payments/callbacks/{JazzCashGateway.Name}/{DemoPayments.JazzCashAccount}"), Client);
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await _factory.DisposeAsync();
        Stripe.Dispose();
        JazzCash.Dispose();
        await Infrastructure.DisposeAsync();
    }

    public string Token(string department = Department, params string[] scopes) =>
        DevTokens.Create(_signingKey, department, scopes.Length > 0 ? scopes : [PaymentScopes.Read.Name, PaymentScopes.Write.Name], TimeSpan.FromMinutes(10));

    public Task<(HttpResponseMessage Response, JsonNode? Body)> Get(string path, string? token = "") => new JsonApi(() => Http, () => Token()).Get(path, token);

    public Task<(HttpResponseMessage Response, JsonNode? Body)> Post(string path, string json, string? token = "", string? idempotencyKey = null) =>
        new JsonApi(() => Http, () => Token()).Post(path, json, token, idempotencyKey);
}

public sealed class InMemoryPaymentsHub : PaymentsHub
{
    protected override IHubInfrastructure Infrastructure { get; } = new InMemoryInfrastructure();
}

public sealed class DurablePaymentsHub : PaymentsHub
{
    protected override IHubInfrastructure Infrastructure { get; } = new IsolatedDurableInfrastructure { VirtualHostLabel = "payments" };
}
