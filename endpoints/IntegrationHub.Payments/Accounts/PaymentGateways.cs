using IntegrationHub.Adapters.JazzCash;
using IntegrationHub.Adapters.Payments;
using IntegrationHub.Adapters.Stripe;

namespace IntegrationHub.Payments.Accounts;

/// <summary>The gateway adapter of every configured account, made once; looked up by gateway and account name.</summary>
public sealed class PaymentGateways
{
    public const string HttpClientName = "payment-gateways";
    readonly Dictionary<(string Gateway, string Account), (PaymentAccount Account, IPaymentGateway Adapter)> _gateways = [];

    public PaymentGateways(PaymentsOptions options, IHttpClientFactory http)
    {
        foreach (var account in options.Accounts)
        {
            IPaymentGateway adapter = account.Gateway switch
            {
                StripeGateway.Name => new StripeGateway(account.Stripe!, http.CreateClient(HttpClientName)),
                JazzCashGateway.Name => new JazzCashGateway(account.JazzCash!, http.CreateClient(HttpClientName)),
                _ => throw new InvalidOperationException($"No adapter for gateway {account.Gateway}"),
            };
            _gateways[(account.Gateway, account.Name)] = (account, adapter);
        }
    }

    public (PaymentAccount Account, IPaymentGateway Adapter)? Find(string gateway, string account) =>
        _gateways.TryGetValue((gateway, account), out var found) ? found : null;

    public IPaymentGateway Of(string account) =>
        _gateways.Values.FirstOrDefault(g => g.Account.Name == account).Adapter ?? throw new InvalidOperationException($"No payment account '{account}'");

    /// <summary>Replaces an account's adapter (tests: a gateway that fails in a particular way).</summary>
    public void Use(string account, IPaymentGateway adapter)
    {
        var key = _gateways.Keys.Single(k => k.Account == account);
        _gateways[key] = (_gateways[key].Account, adapter);
    }
}
