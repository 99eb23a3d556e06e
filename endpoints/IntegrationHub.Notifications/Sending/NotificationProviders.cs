using System.Collections.Concurrent;
using IntegrationHub.Adapters.Notifications;

namespace IntegrationHub.Notifications.Sending;

/// <summary>
/// Every configured provider account's adapter, made once, and its circuit breaker: <see cref="NotificationsOptions.FailuresToOpen"/>
/// refusals in a row open it for <see cref="NotificationsOptions.OpenFor"/>, during which messages go straight to the
/// next provider of their channel. The breaker is this process's view (each instance learns a provider's outage itself).
/// </summary>
public sealed class NotificationProviders
{
    public const string HttpClientName = "notification-providers";
    readonly Dictionary<string, INotificationProvider> _providers = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, (int Failures, DateTimeOffset OpenUntil)> _breakers = new(StringComparer.Ordinal);
    readonly NotificationsOptions _options;
    readonly TimeProvider _time;

    public NotificationProviders(NotificationsOptions options, IHttpClientFactory http, TimeProvider time)
    {
        _options = options;
        _time = time;
        foreach (var (name, account) in options.Providers)
            _providers[name] = account.Provider switch
            {
                TwilioSms.Name => new TwilioSms(account.Twilio!, http.CreateClient(HttpClientName)),
                SendGridEmail.Name => new SendGridEmail(account.SendGrid!, http.CreateClient(HttpClientName)),
                SmtpEmail.Name => new SmtpEmail(account.Smtp!),
                HttpSmsGateway.Name => new HttpSmsGateway(account.HttpSms!, http.CreateClient(HttpClientName)),
                _ => throw new InvalidOperationException($"no adapter for provider {account.Provider}"),
            };
    }

    public INotificationProvider Of(string account) => _providers.TryGetValue(account, out var provider)
        ? provider
        : throw new InvalidOperationException($"No notification provider account '{account}'");

    public INotificationProvider? Find(string provider, string account) =>
        _providers.TryGetValue(account, out var found) && found.Provider == provider ? found : null;

    /// <summary>Replaces an account's adapter (tests: a provider that fails in a particular way).</summary>
    public void Use(string account, INotificationProvider provider) => _providers[account] = provider;

    public bool IsOpen(string account) => _breakers.TryGetValue(account, out var breaker) && breaker.OpenUntil > _time.GetUtcNow();

    public void Failed(string account) => _breakers.AddOrUpdate(account, _ => Next(0), (_, b) => Next(b.Failures));

    public void Succeeded(string account) => _breakers.TryRemove(account, out _);

    (int, DateTimeOffset) Next(int failures) =>
        failures + 1 >= _options.FailuresToOpen ? (0, _time.GetUtcNow() + _options.OpenFor) : (failures + 1, DateTimeOffset.MinValue);
}
