using IntegrationHub.Abdm.Api;
using IntegrationHub.Abdm.Callbacks;
using IntegrationHub.Abdm.Development;
using IntegrationHub.Abdm.Linking;
using IntegrationHub.Abdm.Links;
using IntegrationHub.Adapters.Abdm.Callbacks;
using IntegrationHub.Adapters.Abdm.Gateway;
using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Persistence;
using IntegrationHub.Hosting.Security;

namespace IntegrationHub.Abdm;

/// <summary>
/// The hub as a HIP on India's health data exchange (README of this folder, docs/abdm.md): the gateway's calls under
/// <c>/abdm/…</c>, each verified by the gateway's JWT before it is read (<see cref="AbdmCallbacksApi"/>); patient discovery
/// and user-initiated linking (<see cref="PatientLinkingSaga"/>) and HIP-initiated linking (<see cref="HipLinkingSaga"/>)
/// as sagas; the departments' API at <c>/api/v1/abdm</c>. Queue <c>hub.abdm</c>, settings <c>Hub:Abdm</c>, tables in
/// schema <c>abdm</c>, hubctl verb <c>abdm</c> (Fidelius).
/// </summary>
public sealed class AbdmEndpoint : HubEndpoint
{
    public const string EndpointName = "Abdm";

    public static MigrationSet MigrationSet { get; } = MigrationSet.FromAssembly("abdm", typeof(AbdmEndpoint).Assembly);

    public override string Name => EndpointName;

    public override MigrationSet Migrations => MigrationSet;

    public override IEnumerable<HubScope> Scopes => [AbdmScopes.Read, AbdmScopes.Write, HubScopes.Operators];

    public override void Configure(HubEndpointBuilder endpoint)
    {
        endpoint
            .Settings(AbdmOptions.From)
            .Settings(AbdmRetentionOptions.From)
            .StatusResources(AbdmLink.Kind)
            .Store<ILinkedCareContexts>(_ => new InMemoryLinkedCareContexts(),
                (sp, connectionString) => new PostgreSqlLinkedCareContexts(connectionString, sp.GetRequiredService<HandlerDatabase>()))
            .Store<IUnmatchedCalls>(_ => new InMemoryUnmatchedCalls(),
                (sp, connectionString) => new PostgreSqlUnmatchedCalls(connectionString, sp.GetRequiredService<HandlerDatabase>()))
            .Handler<PatientLinkingSaga>()
            .Handler<HipLinkingSaga>()
            .Handler<NoticeAnsweredHandler>()
            .ExternalCallHandler<RegistryHandler>()
            .ExternalCallHandler<GatewayCallHandler>();
        var services = endpoint.Services;
        services.AddHttpClient(GatewayHttpClient);
        services.AddHttpClient(PatientRegistries.HttpClientName);
        services.AddSingleton<PatientRegistries>();
        services.AddSingleton<IAbdmGateway>(sp => sp.GetRequiredService<AbdmOptions>().Gateway is { } gateway
            ? new AbdmGatewayClient(gateway, sp.GetRequiredService<IHttpClientFactory>().CreateClient(GatewayHttpClient), sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<AbdmGatewayClient>>())
            : new UnconfiguredGateway());
        services.AddSingleton(sp => sp.GetRequiredService<AbdmOptions>().Jwt is { } jwt
            ? new AbdmCallbackVerifier(jwt, sp.GetRequiredService<IHttpClientFactory>().CreateClient(GatewayHttpClient), sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<AbdmCallbackVerifier>>())
            : null!);
        services.AddSingleton<IOtpSender>(sp => sp.GetRequiredService<AbdmOptions>().OtpSender == OtpSenders.Simulator
            ? sp.GetService<SimulatorOtpSender>() ?? throw new Hosting.Configuration.HubSettingsException(
                [$"{AbdmOptions.SectionName}:Linking:OtpSender is '{OtpSenders.Simulator}', but no ABDM simulator runs here: set Hub:Simulators:Enabled=true " +
                 $"(Development), or send OTPs through the department's webhook ('{OtpSenders.Webhook}')"])
            : new WebhookOtpSender(sp.GetRequiredService<TimeProvider>()));
        // The OTP sender is made at start, so that a sender that cannot work stops the process instead of every link.
        services.AddHostedService(sp => new OtpSenderCheck(sp.GetRequiredService<IOtpSender>()));
        services.AddHostedService<AbdmRetentionService>();
        services.AddHostedService<BridgeUrlRegistration>();
    }

    const string GatewayHttpClient = "abdm-gateway";

    public override void MapRoutes(IEndpointRouteBuilder routes)
    {
        routes.MapAbdmCallbacks(routes.ServiceProvider.GetRequiredService<AbdmOptions>());
        routes.MapAbdmApi();
    }

    public override IEnumerable<string> DevelopmentConveniences(IConfiguration configuration)
    {
        if (string.Equals(configuration[$"{AbdmOptions.SectionName}:Linking:OtpSender"], OtpSenders.Simulator, StringComparison.OrdinalIgnoreCase))
            yield return $"{AbdmOptions.SectionName}:Linking:OtpSender is '{OtpSenders.Simulator}': link OTPs go to the ABDM simulator, not to patients";
    }

    /// <summary>
    /// The ABDM gateway simulated (and the patient behind it) for department <c>demo</c>'s HIP <c>demo-hip</c>, with a
    /// registry of demo patients: see <see cref="DemoAbdm"/>.
    /// </summary>
    public override void AddDevelopmentSimulators(IHostApplicationBuilder builder) => DemoAbdm.Add(builder);

    public override void MapDevelopmentSimulators(IEndpointRouteBuilder routes) => DemoAbdm.Map(routes);
}

public static class AbdmScopes
{
    public static HubScope Read { get; } = new("abdm:read", "Departments: list the care contexts of their patients linked through ABDM, and follow their links.");

    public static HubScope Write { get; } = new("abdm:write", "Departments' systems: link care contexts of their patients to ABHA addresses (HIP-initiated).");
}

/// <summary>Resolving <see cref="IOtpSender"/> when the host starts is the check.</summary>
internal sealed class OtpSenderCheck(IOtpSender sender) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => sender is null ? throw new InvalidOperationException("no OTP sender") : Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>No gateway configured: every call is unavailable (and retried until one is), never silently dropped.</summary>
internal sealed class UnconfiguredGateway : IAbdmGateway
{
    public AbdmApiVersion ApiVersion => AbdmApiVersion.V3;

    public Task<AbdmGatewayAnswer> Send(AbdmGatewayCall call, CancellationToken cancellationToken = default) =>
        throw new AbdmGatewayUnavailableException($"No ABDM gateway is configured ({AbdmOptions.SectionName}:Gateway:BaseUrl)");

    public Task<AbdmGatewayAnswer> RegisterBridgeUrl(Uri bridgeUrl, CancellationToken cancellationToken = default) =>
        throw new AbdmGatewayUnavailableException($"No ABDM gateway is configured ({AbdmOptions.SectionName}:Gateway:BaseUrl)");
}
