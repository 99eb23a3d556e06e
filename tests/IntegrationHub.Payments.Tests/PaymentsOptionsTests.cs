using IntegrationHub.Hosting.Configuration;
using IntegrationHub.Payments.Ledger;
using Microsoft.Extensions.Configuration;

namespace IntegrationHub.Payments.Tests;

public sealed class PaymentsOptionsTests
{
    static PaymentsOptions From(params (string Key, string Value)[] settings) =>
        PaymentsOptions.From(new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build());

    [Fact]
    public void Every_problem_is_listed_at_once()
    {
        var problems = Assert.Throws<HubSettingsException>(() => From(
            ("Hub:Payments:Departments:a:Accounts:main:Gateway", "stripe"),
            ("Hub:Payments:Departments:a:FiscalYearStartMonth", "13"),
            ("Hub:Payments:Departments:a:TimeZone", "Mars/Olympus"),
            ("Hub:Payments:Departments:b:Accounts:Bad Name:Gateway", "paypal"),
            ("Hub:Payments:Departments:b:ReturnUrls:0", "javascript:alert(1)"),
            ("Hub:Payments:Payment:Expiry", "24"))).Message;

        Assert.Contains("main: SecretKey is missing", problems);
        Assert.Contains("FiscalYearStartMonth must be a whole number from 1 to 12", problems);
        Assert.Contains("Mars/Olympus", problems);
        Assert.Contains("an account name is 1 to 40 lower-case letters", problems);
        Assert.Contains("Gateway must be 'stripe' or 'jazzcash'", problems);
        Assert.Contains("ReturnUrls:0 must be an absolute http(s) URL", problems);
        Assert.Contains("Expiry must be a time span", problems);
    }

    [Fact]
    public void An_account_name_is_unique_across_gateways_and_departments()
    {
        var problems = Assert.Throws<HubSettingsException>(() => From(
            ("Hub:Payments:Departments:revenue:Accounts:main:Gateway", "stripe"),
            ("Hub:Payments:Departments:revenue:Accounts:main:SecretKey", "sk"),
            ("Hub:Payments:Departments:revenue:Accounts:main:PublishableKey", "pk"),
            ("Hub:Payments:Departments:revenue:Accounts:main:WebhookSecrets:0", "whsec"),
            ("Hub:Payments:Departments:health:Accounts:main:Gateway", "jazzcash"),
            ("Hub:Payments:Departments:health:Accounts:main:MerchantId", "MC1"),
            ("Hub:Payments:Departments:health:Accounts:main:Password", "p"),
            ("Hub:Payments:Departments:health:Accounts:main:IntegritySalt", "s"))).Message;

        Assert.Contains("account name 'main' is used more than once", problems);
    }

    [Theory]
    [InlineData(2025, 6, 30, 7, "2024-25")]
    [InlineData(2025, 7, 1, 7, "2025-26")]
    [InlineData(2026, 3, 31, 4, "2025-26")]
    [InlineData(2026, 4, 1, 4, "2026-27")]
    [InlineData(2026, 12, 31, 1, "2026")]
    public void Fiscal_years_start_in_the_departments_month(int year, int month, int day, int startMonth, string expected) =>
        Assert.Equal(expected, ReceiptNumbers.FiscalYear(new DateTimeOffset(year, month, day, 12, 0, 0, TimeSpan.Zero), startMonth, TimeZoneInfo.Utc));

    [Fact]
    public void The_fiscal_year_turns_at_midnight_in_the_departments_zone()
    {
        // 30 June 19:30 UTC is already 1 July in Pakistan (UTC+5).
        var at = new DateTimeOffset(2026, 6, 30, 19, 30, 0, TimeSpan.Zero);

        Assert.Equal("2026-27", ReceiptNumbers.FiscalYear(at, 7, TimeZoneInfo.FindSystemTimeZoneById("Asia/Karachi")));
        Assert.Equal("2025-26", ReceiptNumbers.FiscalYear(at, 7, TimeZoneInfo.Utc));
    }

    [Theory]
    [InlineData(1000, 1000, 1000L, 1000L, 0)]      // paid exactly
    [InlineData(1000, 1500, 1000L, 1500L, 500)]    // the wallet took more than the bill
    [InlineData(1500, 1500, 1500L, 4500L, 1500)]   // a third late capture of a bill paid twice before: this capture's own amount, no more
    [InlineData(1000, 1200, null, null, 200)]      // a free amount, overpaid
    public void The_excess_is_what_was_not_owed_and_never_more_than_this_capture(long asked, long captured, long? bill, long? paidAfter, long excess) =>
        Assert.Equal(excess, ReceiptNumbers.ExcessOf(asked, captured, bill, paidAfter));
}
