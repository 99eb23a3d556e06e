using IntegrationHub.Contracts.Requests.Events;
using IntegrationHub.Gateway.Api;
using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Configuration;
using IntegrationHub.Hosting.Persistence;
using IntegrationHub.Hosting.Security;

namespace IntegrationHub.Gateway;

/// <summary>
/// The department API for requests (README, docs/gateway.md): <c>POST /api/v1/requests</c> stores a request, hands it
/// to the Providers endpoint (<c>ForwardRequest</c>) and answers 202; <c>GET /api/v1/requests/{id}</c> shows its status
/// and timeline, kept by <see cref="RequestStatusProjection"/> from the request's events. Queue <c>hub.gateway</c>,
/// settings <c>Hub:Gateway</c>, scopes <c>requests:write</c> and <c>requests:read</c>.
/// </summary>
public sealed class GatewayEndpoint : HubEndpoint
{
    public const string EndpointName = "Gateway";

    public static MigrationSet MigrationSet { get; } = MigrationSet.FromAssembly("gateway", typeof(GatewayEndpoint).Assembly);

    public override string Name => EndpointName;

    public override MigrationSet? Migrations => MigrationSet;

    public override IEnumerable<HubScope> Scopes => [GatewayScopes.Write, GatewayScopes.Read];

    public override IEnumerable<Type> Subscriptions =>
        [typeof(RequestProgressed), typeof(RequestCompleted), typeof(RequestFailed), typeof(RequestTimedOut)];

    public override IEnumerable<MovedSetting> MovedSettings => [new("Hub:Services", GatewayOptions.ServicesSection)];

    public override void Configure(HubEndpointBuilder endpoint) => endpoint
        .Settings(GatewayOptions.From)
        .StatusResources(RequestStatus.Kind)
        .Handler<RequestStatusProjection>();

    public override void MapRoutes(IEndpointRouteBuilder routes) => routes.MapRequestsApi();
}

public static class GatewayScopes
{
    public static HubScope Write { get; } = new("requests:write", "Departments: submit requests to the hub's services.");
    public static HubScope Read { get; } = new("requests:read", "Departments: read their requests' status, result and timeline.");
}
