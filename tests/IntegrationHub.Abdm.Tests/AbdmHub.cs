using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using IntegrationHub.Abdm.Development;
using IntegrationHub.Abdm.Linking;
using IntegrationHub.Adapters.Abdm.Gateway;
using IntegrationHub.Adapters.Abdm.Registry;
using IntegrationHub.Adapters.Abdm.Simulator;
using IntegrationHub.Hosting.Security;
using IntegrationHub.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Abdm.Tests;

/// <summary>
/// The Abdm endpoint's real Program (Development, simulators off) on one infrastructure and one API generation, with its
/// own simulated gateway (<see cref="AbdmGatewaySimulator"/>) calling it back through the test server, HIP <see cref="HipId"/>
/// of department <see cref="Department"/> serving an in-memory registry (<see cref="Registry"/>), OTPs to the simulated
/// phone and short limits, so timeouts are seconds.
/// </summary>
public abstract class AbdmHub : IAsyncLifetime
{
    public const string Department = "health";
    public const string Other = "other";
    public const string HipId = "health-hip";
    public const string OtherHipId = "other-hip";
    public const int MaxOtpAttempts = 3;
    public static readonly TimeSpan OtpLifetime = TimeSpan.FromSeconds(4);
    readonly string _signingKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
    WebApplicationFactory<Program> _factory = null!;

    protected abstract IHubInfrastructure Infrastructure { get; }

    public abstract AbdmApiVersion Version { get; }

    public AbdmGatewaySimulator Gateway { get; private set; } = null!;

    public InMemoryPatientRegistry Registry { get; } = new([]);

    /// <summary>A registry that never answers in time: HIP <see cref="OtherHipId"/>'s.</summary>
    public HangingRegistry Hanging { get; } = new();

    public HttpClient Http { get; private set; } = null!;

    public IServiceProvider Services => _factory.Services;

    public async Task InitializeAsync()
    {
        await Infrastructure.InitializeAsync();
        Gateway = AbdmGatewaySimulator.Start(Version, TimeSpan.FromMilliseconds(100));
        var settings = new Dictionary<string, string?>(Infrastructure.Settings());
        foreach (var (key, value) in Gateway.HubSettings(HipId, Department)) settings[key] = value;
        settings["Hub:Simulators:Enabled"] = "false";
        settings["Hub:Auth:DevSigningKey"] = _signingKey;
        settings[$"Hub:Departments:{Department}:RequestsPerMinute"] = "100000";
        settings[$"Hub:Departments:{Other}:RequestsPerMinute"] = "100000";
        settings[$"Hub:Abdm:Hips:{OtherHipId}:Department"] = Other;
        settings["Hub:Abdm:Linking:OtpSender"] = OtpSenders.Simulator;
        settings["Hub:Abdm:Linking:OtpLifetime"] = "00:00:04";
        settings["Hub:Abdm:Linking:MaxOtpAttempts"] = MaxOtpAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Hub:Abdm:Linking:HipLinkTimeout"] = "00:00:03";
        settings["Hub:Abdm:Discovery:Timeout"] = "00:00:02";
        settings["Hub:Retries:Delays:0"] = "00:00:00.200";
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            foreach (var (key, value) in settings) web.UseSetting(key, value);
            web.ConfigureTestServices(services =>
            {
                services.AddSingleton(Gateway);
                services.AddSingleton<SimulatorOtpSender>();
            });
        });
        Http = _factory.CreateClient();
        var registries = _factory.Services.GetRequiredService<PatientRegistries>();
        registries.Use(HipId, Registry);
        registries.Use(OtherHipId, Hanging);
        Gateway.CallingHub(new Uri(Http.BaseAddress!, "abdm"), () => _factory.CreateClient());
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await _factory.DisposeAsync();
        Gateway.Dispose();
        await Infrastructure.DisposeAsync();
    }

    public string Token(string department = Department, params string[] scopes) =>
        DevTokens.Create(_signingKey, department, scopes.Length > 0 ? scopes : [AbdmScopes.Read.Name, AbdmScopes.Write.Name], TimeSpan.FromMinutes(10));

    public Task<HttpResponseMessage> Get(string path, string? token = "")
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token == "" ? Token() : token);
        return Http.SendAsync(request);
    }

    public Task<HttpResponseMessage> Post(string path, string json, string? token = "", string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token == "" ? Token() : token);
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        return Http.SendAsync(request);
    }
}

/// <summary>A department registry that takes far longer than discovery may wait.</summary>
public sealed class HangingRegistry : IPatientRegistry
{
    public async Task<PatientMatch> Find(PatientQuery query, CancellationToken cancellationToken = default)
    {
        await Task.Delay(TimeSpan.FromSeconds(8), cancellationToken);
        return new PatientMatch.NotFound("no patient matches");
    }

    public Task<RegistryPatient?> Get(string referenceNumber, CancellationToken cancellationToken = default) => Task.FromResult<RegistryPatient?>(null);
}

public sealed class InMemoryV3Hub : AbdmHub
{
    protected override IHubInfrastructure Infrastructure { get; } = new InMemoryInfrastructure();
    public override AbdmApiVersion Version => AbdmApiVersion.V3;
}

public sealed class DurableV3Hub : AbdmHub
{
    protected override IHubInfrastructure Infrastructure { get; } = new IsolatedDurableInfrastructure { VirtualHostLabel = "abdm-v3" };
    public override AbdmApiVersion Version => AbdmApiVersion.V3;
}

public sealed class DurableV05Hub : AbdmHub
{
    protected override IHubInfrastructure Infrastructure { get; } = new IsolatedDurableInfrastructure { VirtualHostLabel = "abdm-v05" };
    public override AbdmApiVersion Version => AbdmApiVersion.V05;
}
