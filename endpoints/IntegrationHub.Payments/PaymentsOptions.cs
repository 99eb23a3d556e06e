using IntegrationHub.Adapters.JazzCash;
using IntegrationHub.Adapters.Payments;
using IntegrationHub.Adapters.Stripe;
using IntegrationHub.Hosting.Configuration;
using IntegrationHub.Hosting.Departments;

namespace IntegrationHub.Payments;

/// <summary>What <c>Hub:Payments:Departments:{department}:Accounts:{account}</c> configures: one merchant account of one gateway.</summary>
public sealed record PaymentAccount(string Name, string Department, string Gateway, StripeOptions? Stripe, JazzCashOptions? JazzCash);

/// <summary>A department's payment settings: its accounts, where payers may be sent back to, its fiscal year.</summary>
/// <param name="ReturnUrls">The department's pages a payer may return to: a payment's returnUrl must start with one (no open redirect).</param>
/// <param name="FiscalYearStartMonth">1–12: July for Pakistan (the default), April for India.</param>
/// <param name="TimeZone">The department's time zone, for fiscal years and receipts (IANA, e.g. Asia/Karachi).</param>
/// <param name="PayerDataRetention">The department's own retention of payer data, when it differs from <c>Hub:Payments:Retention:PayerData</c>.</param>
public sealed record DepartmentPayments(string Department, IReadOnlyList<PaymentAccount> Accounts, IReadOnlyList<Uri> ReturnUrls,
    int FiscalYearStartMonth, TimeZoneInfo TimeZone, OverpaymentPolicy Overpayment, TimeSpan? PayerDataRetention = null);

public enum OverpaymentPolicy { Keep, Refund }

/// <summary>
/// <c>Hub:Payments</c> (docs/payments.md): the departments' gateway accounts (secrets from the environment, never the
/// repository), return URLs and fiscal years; how long a payment waits, how often a silent gateway is asked; every
/// problem reported at once at start.
/// </summary>
public sealed class PaymentsOptions
{
    public const string SectionName = "Hub:Payments";

    public IReadOnlyDictionary<string, DepartmentPayments> Departments { get; private init; } = new Dictionary<string, DepartmentPayments>();

    /// <summary>Where gateways and browsers reach the hub (<c>Hub:PublicBaseUrl</c>): callback and checkout URLs.</summary>
    public Uri PublicBaseUrl { get; private init; } = new("http://127.0.0.1:5080");

    /// <summary>How long a payment may wait for the payer.</summary>
    public TimeSpan PaymentExpiry { get; private init; } = TimeSpan.FromHours(24);

    /// <summary>How long after creating it the gateway is first asked, when no callback came.</summary>
    public TimeSpan PollAfter { get; private init; } = TimeSpan.FromMinutes(2);

    /// <summary>The longest wait between two questions to a silent gateway (the wait doubles up to it).</summary>
    public TimeSpan MaxPollInterval { get; private init; } = TimeSpan.FromMinutes(30);

    /// <summary>How long a refund may stay pending at the gateway before its outcome counts as unknown (operators check).</summary>
    public TimeSpan RefundTimeout { get; private init; } = TimeSpan.FromDays(3);

    /// <summary>Whether the daily reconciliation runs (<c>Hub:Payments:Reconciliation:Enabled</c>, default true).</summary>
    public bool ReconciliationEnabled { get; private init; } = true;

    /// <summary>When, UTC, each day's reconciliation of the day before runs (<c>Hub:Payments:Reconciliation:RunAt</c>, default 02:00).</summary>
    public TimeSpan ReconciliationRunAt { get; private init; } = TimeSpan.FromHours(2);

    public IEnumerable<PaymentAccount> Accounts => Departments.Values.SelectMany(d => d.Accounts);

    public PaymentAccount? Account(string gateway, string account) =>
        Accounts.FirstOrDefault(a => a.Gateway == gateway && string.Equals(a.Name, account, StringComparison.Ordinal));

    public DepartmentPayments? Of(string department) => Departments.GetValueOrDefault(DepartmentRegistry.Normalize(department));

    public static PaymentsOptions From(IConfiguration configuration)
    {
        var section = configuration.GetSection(SectionName);
        var problems = new List<string>();
        var departments = new Dictionary<string, DepartmentPayments>(StringComparer.Ordinal);
        foreach (var department in section.GetSection("Departments").GetChildren())
        {
            var name = DepartmentRegistry.Normalize(department.Key);
            var accounts = department.GetSection("Accounts").GetChildren().Select(a => ReadAccount(a, name, problems)).OfType<PaymentAccount>().ToList();
            if (accounts.Count == 0) problems.Add($"{department.Path}:Accounts names no gateway account");
            var returnUrls = new List<Uri>();
            foreach (var entry in department.GetSection("ReturnUrls").GetChildren())
                if (Uri.TryCreate(entry.Value, UriKind.Absolute, out var url) && url.Scheme is "https" or "http") returnUrls.Add(url);
                else problems.Add($"{entry.Path} must be an absolute http(s) URL, got '{entry.Value}'");
            var month = department.Int("FiscalYearStartMonth", 7, 1, 12, problems);
            TimeZoneInfo zone = TimeZoneInfo.Utc;
            var zoneName = department["TimeZone"] ?? "Asia/Karachi";
            try
            {
                zone = TimeZoneInfo.FindSystemTimeZoneById(zoneName);
            }
            catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
            {
                problems.Add($"{department.Path}:TimeZone '{zoneName}' is not a time zone of this machine (IANA names, e.g. Asia/Karachi, Asia/Kolkata)");
            }
            var overpayment = department["Overpayment"] is { } text
                ? Enum.TryParse<OverpaymentPolicy>(text, ignoreCase: true, out var policy) ? policy : Problem(problems, $"{department.Path}:Overpayment must be Keep or Refund, got '{text}'")
                : OverpaymentPolicy.Refund;
            TimeSpan? payerData = department["PayerDataRetention"] is null ? null : department.Span("PayerDataRetention", TimeSpan.FromDays(400), TimeSpan.FromDays(1), problems);
            departments[name] = new DepartmentPayments(name, accounts, returnUrls, month, zone, overpayment, payerData);
        }
        foreach (var duplicate in departments.Values.SelectMany(d => d.Accounts).GroupBy(a => a.Name).Where(g => g.Count() > 1))
            problems.Add($"{SectionName}: account name '{duplicate.Key}' is used more than once ({string.Join(", ", duplicate.Select(a => $"{a.Gateway} of {a.Department}"))}); " +
                         "account names are unique across the hub, since payments, refunds and callbacks find their account by it");

        var payment = section.GetSection("Payment");
        var options = new PaymentsOptions
        {
            Departments = departments,
            PublicBaseUrl = configuration.GetSection("Hub").Url("PublicBaseUrl", new Uri("http://127.0.0.1:5080"), problems)!,
            PaymentExpiry = payment.Span("Expiry", TimeSpan.FromHours(24), TimeSpan.FromSeconds(5), problems),
            PollAfter = payment.Span("PollAfter", TimeSpan.FromMinutes(2), TimeSpan.FromMilliseconds(100), problems),
            MaxPollInterval = payment.Span("MaxPollInterval", TimeSpan.FromMinutes(30), TimeSpan.FromMilliseconds(100), problems),
            RefundTimeout = section.GetSection("Refund").Span("Timeout", TimeSpan.FromDays(3), TimeSpan.FromSeconds(1), problems),
            ReconciliationEnabled = section.GetSection("Reconciliation").Bool("Enabled", true, problems),
            ReconciliationRunAt = section.GetSection("Reconciliation").Span("RunAt", TimeSpan.FromHours(2), TimeSpan.Zero, problems),
        };
        if (options.ReconciliationRunAt >= TimeSpan.FromDays(1))
            problems.Add($"{SectionName}:Reconciliation:RunAt is a time of day (00:00:00 to 23:59:59), got {options.ReconciliationRunAt}");
        HubSettingsException.ThrowIfAny(problems);
        return options;
    }

    static OverpaymentPolicy Problem(List<string> problems, string problem)
    {
        problems.Add(problem);
        return OverpaymentPolicy.Refund;
    }

    static PaymentAccount? ReadAccount(IConfigurationSection account, string department, List<string> problems)
    {
        var gateway = account["Gateway"]?.Trim().ToLowerInvariant();
        if (!IsAccountName(account.Key))
            problems.Add($"{account.Path}: an account name is 1 to 40 lower-case letters, digits and '-' (it is part of its callback route)");
        var before = problems.Count;
        switch (gateway)
        {
            case StripeGateway.Name:
                var stripe = new StripeOptions
                {
                    Account = account.Key,
                    SecretKey = account.Required("SecretKey", problems),
                    PublishableKey = account.Required("PublishableKey", problems),
                    WebhookSecrets = [.. account.GetSection("WebhookSecrets").GetChildren().Select(s => s.Value ?? "")],
                    ApiBase = account.Url("ApiBase", new Uri("https://api.stripe.com"), problems)!,
                    Currencies = account.GetSection("Currencies").GetChildren().Select(c => c.Value ?? "").ToList() is { Count: > 0 } currencies ? currencies : ["USD"],
                };
                problems.AddRange(stripe.Problems().Select(p => $"{account.Path}: {p}").Where(p => !problems.Contains(p)));
                return problems.Count == before ? new PaymentAccount(account.Key, department, StripeGateway.Name, stripe, null) : null;
            case JazzCashGateway.Name:
                var defaults = new JazzCashOptions { Account = "", MerchantId = "", Password = "", IntegritySalt = "" };
                var jazz = new JazzCashOptions
                {
                    Account = account.Key,
                    MerchantId = account.Required("MerchantId", problems),
                    Password = account.Required("Password", problems),
                    IntegritySalt = account.Required("IntegritySalt", problems),
                    MerchantMpin = account["MerchantMpin"],
                    ApiBaseUrl = account.Url("ApiBaseUrl", defaults.ApiBaseUrl, problems)!,
                    CheckoutUrl = account.Url("CheckoutUrl", defaults.CheckoutUrl, problems)!,
                };
                return problems.Count == before ? new PaymentAccount(account.Key, department, JazzCashGateway.Name, null, jazz) : null;
            default:
                problems.Add($"{account.Path}:Gateway must be '{StripeGateway.Name}' or '{JazzCashGateway.Name}', got '{account["Gateway"]}'");
                return null;
        }
    }

    public static bool IsAccountName(string name) =>
        name.Length is > 0 and <= 40 && name.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-');
}
