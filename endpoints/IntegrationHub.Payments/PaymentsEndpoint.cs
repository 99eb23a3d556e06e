using IntegrationHub.Adapters.Payments.Simulator;
using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Persistence;
using IntegrationHub.Hosting.Security;
using IntegrationHub.Payments.Accounts;
using IntegrationHub.Payments.Api;
using IntegrationHub.Payments.Callbacks;
using IntegrationHub.Payments.Development;
using IntegrationHub.Payments.Ledger;
using IntegrationHub.Payments.Paying;
using IntegrationHub.Payments.Reconciliation;

namespace IntegrationHub.Payments;

/// <summary>
/// Departments collect fees through the gateways they have (README of this folder, docs/payments.md): bills, one payment
/// saga per payment (<see cref="PaymentSaga"/>), receipts numbered per department and fiscal year, gateway callbacks at
/// <c>/api/v1/payments/callbacks/{gateway}/{account}</c> verified by each gateway's scheme. Queue <c>hub.payments</c>,
/// settings <c>Hub:Payments</c>, tables in schema <c>payments</c>.
/// </summary>
public sealed class PaymentsEndpoint : HubEndpoint
{
    public const string EndpointName = "Payments";

    public static MigrationSet MigrationSet { get; } = MigrationSet.FromAssembly("payments", typeof(PaymentsEndpoint).Assembly);

    public override string Name => EndpointName;

    public override MigrationSet Migrations => MigrationSet;

    public override IEnumerable<HubScope> Scopes => [PaymentScopes.Read, PaymentScopes.Write, HubScopes.Operators];

    public override void Configure(HubEndpointBuilder endpoint)
    {
        endpoint
            .Settings(PaymentsOptions.From)
            .Settings(PaymentsRetentionOptions.From)
            .StatusResources(PaymentStatuses.Kind, RefundStatuses.Kind)
            .Store<IPaymentLedger>(_ => new InMemoryPaymentLedger(),
                (sp, connectionString) => new PostgreSqlPaymentLedger(connectionString, sp.GetRequiredService<HandlerDatabase>()))
            .Handler<PaymentSaga>()
            .Handler<RefundSaga>()
            .ExternalCallHandler<PaymentGatewayCallHandler>()
            .ExternalCallHandler<ReconciliationHandler>();
        endpoint.Services.AddHttpClient(PaymentGateways.HttpClientName, client => client.Timeout = TimeSpan.FromSeconds(30));
        endpoint.Services.AddSingleton<PaymentGateways>();
        endpoint.Services.AddHostedService<PaymentsRetentionService>();
        endpoint.Services.AddHostedService<DailyReconciliation>();
    }

    public override void MapRoutes(IEndpointRouteBuilder routes)
    {
        routes.MapPaymentsApi();
        routes.MapPaymentCallbacks();
        routes.MapReconciliationApi();
    }

    /// <summary>Stripe and JazzCash simulated for department <c>demo</c>: see <see cref="DemoPayments"/>.</summary>
    public override void AddDevelopmentSimulators(IHostApplicationBuilder builder) => DemoPayments.Add(builder);

    public override void MapDevelopmentSimulators(IEndpointRouteBuilder routes) => DemoPayments.Map(routes);
}

public static class PaymentScopes
{
    public static HubScope Read { get; } = new("payments:read", "Departments: read their bills, payments and receipts.");

    public static HubScope Write { get; } = new("payments:write", "Departments' systems: raise bills and start payments.");
}
