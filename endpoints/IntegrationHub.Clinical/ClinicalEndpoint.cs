using IntegrationHub.Adapters.Fhir;
using IntegrationHub.Clinical.Api;
using IntegrationHub.Clinical.Fhir;
using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Security;

namespace IntegrationHub.Clinical;

/// <summary>
/// Clinical data in the hub's formats (README of this folder, docs/clinical.md): FHIR R4 read, validated and written
/// through the one FHIR adapter — <c>POST /api/v1/fhir/$validate</c> and <c>POST /api/v1/translate</c>, scope
/// <c>clinical:read</c>, behind the department gate. Queue <c>hub.clinical</c>, settings <c>Hub:Clinical</c>, hubctl
/// verbs <c>translate</c> and <c>validate</c>. The HL7 v2 issues add their routes, handlers and listener here.
/// </summary>
public sealed class ClinicalEndpoint : HubEndpoint
{
    public const string EndpointName = "Clinical";

    public override string Name => EndpointName;

    public override IEnumerable<HubScope> Scopes => [ClinicalScopes.Read];

    public override void Configure(HubEndpointBuilder endpoint)
    {
        endpoint.Settings(ClinicalOptions.From);
        var services = endpoint.Services;
        // Registered before the adapter's own registration, which then keeps these options (it adds its defaults only
        // when none are there): limits and profiles from Hub:Clinical:Fhir, checked at start.
        services.AddSingleton(sp => sp.GetRequiredService<ClinicalOptions>().Fhir);
        services.AddFhirAdapter();
        services.AddSingleton<FhirChecks>();
    }

    public override void MapRoutes(IEndpointRouteBuilder routes) => routes.MapClinicalApi();
}

public static class ClinicalScopes
{
    public static HubScope Read { get; } = new("clinical:read",
        "Departments: validate and translate clinical data (FHIR $validate, translate); nothing is stored.");
}
