using IntegrationHub.Hosting;

namespace IntegrationHub.Ctl;

/// <summary>
/// The endpoints hubctl serves, each listed once (the all-in-one host lists the same; a test keeps the two lists
/// equal): their migrations for <c>db migrate</c>, their scopes for <c>token</c>, their replay rules for the verbs they own.
/// </summary>
internal static class HubctlEndpoints
{
    public static IReadOnlyList<HubEndpoint> All { get; } =
        [new Gateway.GatewayEndpoint(), new Providers.ProvidersEndpoint(), new Webhooks.WebhooksEndpoint(), new Sample.SampleEndpoint(),
         new Clinical.ClinicalEndpoint(), new Abdm.AbdmEndpoint(), new Payments.PaymentsEndpoint(),
         new Notifications.NotificationsEndpoint()];

    /// <summary>Every scope a token may grant.</summary>
    public static IReadOnlyList<string> Scopes { get; } = All.SelectMany(e => e.Scopes).Select(s => s.Name).Distinct().Order(StringComparer.Ordinal).ToList();
}
