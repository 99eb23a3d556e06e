using IntegrationHub.Adapters.Notifications;
using IntegrationHub.Hosting.Configuration;
using IntegrationHub.Hosting.Departments;

namespace IntegrationHub.Notifications;

/// <summary>One provider account: <c>Hub:Notifications:Providers:{account}</c>.</summary>
public sealed record ProviderAccount(string Name, string Provider, Channel Channel, TwilioOptions? Twilio, SendGridOptions? SendGrid, SmtpOptions? Smtp,
    HttpSmsOptions? HttpSms);

/// <summary>A department's notification settings: its region for national numbers, its providers per channel in failover order.</summary>
/// <param name="AllowPossibleDuplicates">For <c>critical</c> messages only: when a provider's outcome is unknown, send through the next one rather than risk a loss.</param>
public sealed record DepartmentNotifications(string Department, string DefaultRegion, IReadOnlyList<string> SmsProviders, IReadOnlyList<string> EmailProviders,
    bool AllowPossibleDuplicates);

/// <summary>
/// <c>Hub:Notifications</c> (docs/notifications.md): provider accounts (secrets from the environment), each department's
/// providers per channel in the order they are tried, limits; every problem at once.
/// </summary>
public sealed class NotificationsOptions
{
    public const string SectionName = "Hub:Notifications";

    public IReadOnlyDictionary<string, ProviderAccount> Providers { get; private init; } = new Dictionary<string, ProviderAccount>();

    public IReadOnlyDictionary<string, DepartmentNotifications> Departments { get; private init; } = new Dictionary<string, DepartmentNotifications>();

    public Uri PublicBaseUrl { get; private init; } = new("http://127.0.0.1:5080");

    /// <summary>Recipients one request may name (default 10,000).</summary>
    public int MaxRecipients { get; private init; } = 10_000;

    /// <summary>How long a message waits for its final receipt before it counts as <c>expired</c>.</summary>
    public TimeSpan ReceiptTimeout { get; private init; } = TimeSpan.FromHours(24);

    /// <summary>How long a provider may take to answer a send; after it, the outcome is unknown.</summary>
    public TimeSpan ProviderTimeout { get; private init; } = TimeSpan.FromSeconds(20);

    /// <summary>Refusals in a row that open a provider's circuit, and how long it then stays open.</summary>
    public int FailuresToOpen { get; private init; } = 5;

    public TimeSpan OpenFor { get; private init; } = TimeSpan.FromSeconds(30);

    public DepartmentNotifications? Of(string department) => Departments.GetValueOrDefault(DepartmentRegistry.Normalize(department));

    public static NotificationsOptions From(IConfiguration configuration)
    {
        var section = configuration.GetSection(SectionName);
        var problems = new List<string>();
        var publicBase = configuration.GetSection("Hub").Url("PublicBaseUrl", new Uri("http://127.0.0.1:5080"), problems)!;
        var providerTimeout = section.Span("ProviderTimeout", TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(100), problems);
        var providers = new Dictionary<string, ProviderAccount>(StringComparer.Ordinal);
        foreach (var account in section.GetSection("Providers").GetChildren())
            if (ReadProvider(account, publicBase, providerTimeout, problems) is { } provider)
                providers[provider.Name] = provider;
        var departments = new Dictionary<string, DepartmentNotifications>(StringComparer.Ordinal);
        foreach (var department in section.GetSection("Departments").GetChildren())
        {
            var name = DepartmentRegistry.Normalize(department.Key);
            var region = department["DefaultRegion"] ?? "PK";
            if (region.Length != 2 || !region.All(char.IsAsciiLetterUpper))
                problems.Add($"{department.Path}:DefaultRegion is a two-letter region such as PK or IN, got '{region}'");
            List<string> Chain(string key, Channel channel)
            {
                var chain = department.GetSection(key).GetChildren().Select(c => c.Value ?? "").ToList();
                foreach (var unknown in chain.Where(c => !providers.ContainsKey(c)))
                    problems.Add($"{department.Path}:{key} names '{unknown}', which is no account in {SectionName}:Providers");
                foreach (var wrong in chain.Where(c => providers.TryGetValue(c, out var p) && p.Channel != channel))
                    problems.Add($"{department.Path}:{key} names '{wrong}', a {providers[wrong].Channel} provider");
                return chain;
            }
            var sms = Chain("SmsProviders", Channel.Sms);
            var email = Chain("EmailProviders", Channel.Email);
            if (sms.Count == 0 && email.Count == 0) problems.Add($"{department.Path} names no SmsProviders or EmailProviders");
            departments[name] = new DepartmentNotifications(name, region, sms, email, department.Bool("AllowPossibleDuplicates", false, problems));
        }
        var options = new NotificationsOptions
        {
            Providers = providers,
            Departments = departments,
            PublicBaseUrl = publicBase,
            MaxRecipients = section.Int("MaxRecipients", 10_000, 1, 100_000, problems),
            ReceiptTimeout = section.Span("ReceiptTimeout", TimeSpan.FromHours(24), TimeSpan.FromSeconds(1), problems),
            ProviderTimeout = providerTimeout,
            FailuresToOpen = section.GetSection("CircuitBreaker").Int("FailuresToOpen", 5, 1, 1000, problems),
            OpenFor = section.GetSection("CircuitBreaker").Span("OpenFor", TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100), problems),
        };
        HubSettingsException.ThrowIfAny(problems);
        return options;
    }

    /// <summary>Where a provider account's receipts come in.</summary>
    public static Uri CallbackUrl(Uri publicBase, string provider, string account) => new(publicBase, $"/api/v1/notifications/callbacks/{provider}/{account}");

    static ProviderAccount? ReadProvider(IConfigurationSection account, Uri publicBase, TimeSpan providerTimeout, List<string> problems)
    {
        var before = problems.Count;
        var provider = account["Provider"]?.Trim().ToLowerInvariant();
        if (!(account.Key.Length is > 0 and <= 40 && account.Key.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-')))
            problems.Add($"{account.Path}: an account name is 1 to 40 lower-case letters, digits and '-' (it is part of its callback route)");
        ProviderAccount? result = provider switch
        {
            TwilioSms.Name => new ProviderAccount(account.Key, provider, Channel.Sms, new TwilioOptions
            {
                Account = account.Key, AccountSid = account.Required("AccountSid", problems), AuthToken = account.Required("AuthToken", problems),
                From = account.Required("From", problems), ApiBase = account.Url("ApiBase", new Uri("https://api.twilio.com"), problems)!,
                StatusCallback = CallbackUrl(publicBase, TwilioSms.Name, account.Key),
            }, null, null, null),
            SendGridEmail.Name => new ProviderAccount(account.Key, provider, Channel.Email, null, new SendGridOptions
            {
                Account = account.Key, ApiKey = account.Required("ApiKey", problems), FromEmail = account.Required("FromEmail", problems), FromName = account["FromName"],
                WebhookPublicKey = account.Required("WebhookPublicKey", problems), ApiBase = account.Url("ApiBase", new Uri("https://api.sendgrid.com"), problems)!,
            }, null, null),
            SmtpEmail.Name => new ProviderAccount(account.Key, provider, Channel.Email, null, null, new SmtpOptions
            {
                Timeout = providerTimeout,
                Account = account.Key, Host = account.Required("Host", problems), Port = account.Int("Port", 587, 1, 65535, problems),
                Security = Enum.TryParse<MailKit.Security.SecureSocketOptions>(account["Security"] ?? "StartTls", true, out var security) ? security : MailKit.Security.SecureSocketOptions.StartTls,
                UserName = account["UserName"], Password = account["Password"], FromEmail = account.Required("FromEmail", problems), FromName = account["FromName"],
            }, null),
            HttpSmsGateway.Name => new ProviderAccount(account.Key, provider, Channel.Sms, null, null, null, new HttpSmsOptions
            {
                Account = account.Key, UrlTemplate = account.Required("UrlTemplate", problems), Method = account["Method"] ?? "POST", BodyTemplate = account["BodyTemplate"],
                ContentType = account["ContentType"] ?? "application/x-www-form-urlencoded", Sender = account["Sender"], MessageIdPath = account["MessageIdPath"],
                SuccessMarker = account["SuccessMarker"],
                Headers = account.GetSection("Headers").GetChildren().ToDictionary(h => h.Key, h => h.Value ?? ""),
            }),
            _ => null,
        };
        if (result is null)
            problems.Add($"{account.Path}:Provider must be {TwilioSms.Name}, {HttpSmsGateway.Name}, {SendGridEmail.Name} or {SmtpEmail.Name}, got '{account["Provider"]}'");
        return problems.Count == before ? result : null;
    }
}
