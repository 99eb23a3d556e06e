using IntegrationHub.Adapters.AsyncProvider;
using IntegrationHub.Adapters.AsyncProvider.Simulator;
using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Configuration;
using IntegrationHub.Hosting.Persistence;
using IntegrationHub.Hosting.Security;
using IntegrationHub.Providers.Api;
using IntegrationHub.Providers.Exchanges;
using IntegrationHub.Providers.Registry;
using IntegrationHub.Providers.Retention;

namespace IntegrationHub.Providers;

/// <summary>
/// Forwards departments' requests to provider systems and runs each conversation (<see cref="ProviderExchangeSaga"/>)
/// until the provider's answer, its refusal or the answer timeout (README of this folder, docs/providers.md). Queue
/// <c>hub.providers</c>, settings <c>Hub:Providers</c> (the provider systems in <c>Hub:Providers:Systems</c>); the
/// callback API turns providers' signed answers into <c>RecordProviderCallback</c> messages, and operators list the
/// callbacks that matched nothing (scope <c>ops</c>).
/// </summary>
public sealed class ProvidersEndpoint : HubEndpoint
{
    public const string EndpointName = "Providers";

    public static MigrationSet MigrationSet { get; } = MigrationSet.FromAssembly("providers", typeof(ProvidersEndpoint).Assembly);

    public override string Name => EndpointName;

    public override MigrationSet? Migrations => MigrationSet;

    public override IEnumerable<HubScope> Scopes => [HubScopes.Operators];

    public override IEnumerable<MovedSetting> MovedSettings =>
    [
        new("Hub:Providers:*", ProviderRegistry.SectionName + ":*", "Systems", "Retention", "Simulator"),
        new("Hub:Retention:FinishedExchanges", "Hub:Providers:Retention:FinishedExchanges"),
        new("Hub:Retention:UnmatchedCallbacks", "Hub:Providers:Retention:UnmatchedCallbacks"),
        new("Hub:Simulators:AnswerDelay", "Hub:Providers:Simulator:AnswerDelay"),
    ];

    public override void Configure(HubEndpointBuilder endpoint)
    {
        endpoint
            .Settings(ProviderRegistry.From)
            .Settings(ProviderRetentionOptions.From)
            .Store<IProviderExchangeStore>(_ => new InMemoryProviderExchangeStore(),
                (sp, connectionString) => new PostgreSqlProviderExchangeStore(connectionString, sp.GetRequiredService<HandlerDatabase>()))
            .Handler<ProviderExchangeSaga>()
            .ExternalCallHandler<CallProviderHandler>();
        endpoint.Services.AddAsyncProviderClients();
        endpoint.Services.AddHostedService<ProviderRetentionService>();
    }

    public override void MapRoutes(IEndpointRouteBuilder routes) => routes.MapProvidersApi();

    /// <summary>
    /// A simulated provider system <c>echo</c> on a loopback port of its own, which accepts every request and answers it
    /// by itself a moment later (<c>Hub:Providers:Simulator:AnswerDelay</c>, 2 s) through the hub's signed callback API.
    /// </summary>
    public override void AddDevelopmentSimulators(IHostApplicationBuilder builder)
    {
        var callbackSecret = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var answerDelay = new HubConfiguration(builder.Configuration, MovedSettings).Configuration
            .GetValue("Hub:Providers:Simulator:AnswerDelay", TimeSpan.FromSeconds(2));
        var provider = AsyncProviderSimulator.Start().AnsweringAutomatically(callbackSecret, answerDelay);
        builder.Services.AddSingleton(provider); // stopped when the host is disposed
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"{ProviderRegistry.SectionName}:echo:BaseUrl"] = provider.BaseUrl.ToString(),
            [$"{ProviderRegistry.SectionName}:echo:Auth:Type"] = AsyncProviderAuthTypes.None,
            [$"{ProviderRegistry.SectionName}:echo:StatusQuery"] = "true",
            [$"{ProviderRegistry.SectionName}:echo:CallbackSecret"] = callbackSecret,
        });
        builder.Services.AddHostedService(sp => new SimulatorNotice(
            $"SIMULATED provider 'echo' at {provider.BaseUrl} answers every request by itself after {answerDelay}", sp.GetRequiredService<ILogger<SimulatorNotice>>()));
    }
}
