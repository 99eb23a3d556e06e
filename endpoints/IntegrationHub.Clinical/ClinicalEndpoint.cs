using IntegrationHub.Adapters.Fhir;
using IntegrationHub.Clinical.Api;
using IntegrationHub.Clinical.Development;
using IntegrationHub.Clinical.Fhir;
using IntegrationHub.Clinical.Hl7v2;
using IntegrationHub.Clinical.Routes;
using IntegrationHub.Hosting.Persistence;
using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Security;

namespace IntegrationHub.Clinical;

/// <summary>
/// Clinical data in the hub's formats (README of this folder, docs/clinical.md): FHIR R4 read, validated and written
/// through the one FHIR adapter — <c>POST /api/v1/fhir/$validate</c> and <c>POST /api/v1/translate</c>, scope
/// <c>clinical:read</c>; HL7 v2 taken in over MLLP listeners and <c>POST /api/v1/hl7v2</c> (scope <c>clinical:write</c>),
/// ACKed AA only once handed on (<see cref="Hl7v2Intake"/>), published as <c>Hl7v2MessageAccepted</c>, mapped to FHIR and
/// clinical events, and delivered along the department's routes (<see cref="ClinicalDeliverySaga"/>, status resources
/// at <c>/api/v1/clinical/deliveries</c>). Behind the department gate. Queue <c>hub.clinical</c>, settings <c>Hub:Clinical</c>, tables in schema <c>clinical</c>, hubctl
/// verbs <c>translate</c>, <c>validate</c> and <c>hl7</c>.
/// </summary>
public sealed class ClinicalEndpoint : HubEndpoint
{
    public const string EndpointName = "Clinical";

    public override string Name => EndpointName;

    public static MigrationSet MigrationSet { get; } = MigrationSet.FromAssembly("clinical", typeof(ClinicalEndpoint).Assembly);

    public override IEnumerable<HubScope> Scopes => [ClinicalScopes.Read, ClinicalScopes.Write];

    public override MigrationSet Migrations => MigrationSet;

    /// <summary>Its own hand-offs: each accepted HL7 v2 message is mapped to FHIR and a clinical event.</summary>
    public override IEnumerable<Type> Subscriptions => [typeof(IntegrationHub.Contracts.Clinical.Events.Hl7v2MessageAccepted)];

    public override void Configure(HubEndpointBuilder endpoint)
    {
        endpoint
            .Settings(ClinicalOptions.From)
            .Settings(Hl7v2Options.From)
            .Settings(Hl7v2RetentionOptions.From)
            .Settings(Hl7v2MapsOptions.From)
            .Settings(ClinicalRoutesOptions.From)
            .Settings(ClinicalDeliveryOptions.From)
            .StatusResources(ClinicalDelivery.Kind)
            .Store<IReceivedHl7v2Store>(sp => new InMemoryReceivedHl7v2Store(sp.GetRequiredService<Hl7v2RetentionOptions>()),
                (sp, connectionString) => new PostgreSqlReceivedHl7v2Store(connectionString, sp.GetRequiredService<Hl7v2RetentionOptions>()))
            .Store<ISubjectVersions>(_ => new InMemorySubjectVersions(),
                (sp, connectionString) => new PostgreSqlSubjectVersions(connectionString, sp.GetRequiredService<HandlerDatabase>()))
            .Handler<ClinicalEventPublisher>()
            .Handler<ClinicalDeliverySaga>()
            .ExternalCallHandler<Hl7v2DeliveryHandler>()
            .ExternalCallHandler<FhirRouteHandler>();
        var services = endpoint.Services;
        // Registered before the adapter's own registration, which then keeps these options (it adds its defaults only
        // when none are there): limits and profiles from Hub:Clinical:Fhir, checked at start.
        services.AddSingleton(sp => sp.GetRequiredService<ClinicalOptions>().Fhir);
        services.AddFhirAdapter();
        services.AddSingleton<FhirChecks>();
        services.AddSingleton<Hl7v2Intake>();
        services.AddSingleton(sp => new Hl7v2FhirTranslator(sp.GetRequiredService<FhirAdapter>(),
            sp.GetRequiredService<IntegrationHub.Adapters.Hl7v2Fhir.Hl7v2FhirOptions>(), sp.GetRequiredService<Hl7v2Options>().MaxMessageBytes));
        services.AddHostedService<Hl7v2RetentionService>();
        services.AddSingleton<Hl7v2Destinations>();
        services.AddHttpClient(FhirRouteHandler.HttpClientName);
        services.AddSingleton<MllpListeners>();
        services.AddHostedService(sp => sp.GetRequiredService<MllpListeners>());
    }

    public override void MapRoutes(IEndpointRouteBuilder routes)
    {
        routes.MapClinicalApi();
        routes.MapHl7v2Api();
        routes.MapDeliveriesApi();
    }

    /// <summary>
    /// Department <c>demo</c>'s routes, simulated: a FHIR server at <c>/dev/fhir</c> and a legacy HL7 v2 system (MLLP on
    /// a free loopback port, what it received at <c>/dev/hl7v2/received</c>).
    /// </summary>
    public override void AddDevelopmentSimulators(IHostApplicationBuilder builder)
    {
        DemoFhirServer.Add(builder);
        DemoLegacyHl7v2System.Add(builder);
    }

    public override void MapDevelopmentSimulators(IEndpointRouteBuilder routes)
    {
        DemoFhirServer.Map(routes);
        DemoLegacyHl7v2System.Map(routes);
    }
}

public static class ClinicalScopes
{
    public static HubScope Read { get; } = new("clinical:read",
        "Departments: validate and translate clinical data (FHIR $validate, translate), and read their deliveries' status.");

    public static HubScope Write { get; } = new("clinical:write",
        "Departments' systems: hand HL7 v2 messages to the hub (POST /api/v1/hl7v2), as their MLLP listeners do, and deliver FHIR to their legacy systems (POST /api/v1/clinical/deliveries).");
}
