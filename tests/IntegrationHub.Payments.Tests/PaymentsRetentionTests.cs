using IntegrationHub.Adapters.Payments.Simulator;
using IntegrationHub.Payments.Development;
using IntegrationHub.Payments.Ledger;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace IntegrationHub.Payments.Tests;

/// <summary>Payer data forgotten after the department's retention (or the hub's default), on the hub's own ledger (memory or PostgreSQL).</summary>
public abstract class PaymentsRetentionContract<THub>(THub hub) : IClassFixture<THub>, IDisposable where THub : PaymentsHub
{
    readonly StripeSimulator _stripe = StripeSimulator.Start();
    readonly JazzCashSimulator _jazz = JazzCashSimulator.Start();

    public void Dispose()
    {
        _stripe.Dispose();
        _jazz.Dispose();
    }

    [Fact]
    public async Task Payer_data_is_blanked_after_each_departments_retention_and_amounts_stay()
    {
        var settings = new Dictionary<string, string?>(DemoPayments.Settings(_stripe, _jazz, new Uri("https://a.example/done"), "short"));
        foreach (var (key, value) in DemoPayments.Settings(_stripe, _jazz, new Uri("https://b.example/done"), "long"))
            settings[key!.Replace(DemoPayments.StripeAccount, "long-stripe").Replace(DemoPayments.JazzCashAccount, "long-jazzcash")] = value;
        settings["Hub:Payments:Departments:short:PayerDataRetention"] = "10.00:00:00";
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var ledger = (IPaymentLedger)hub.Services.GetService(typeof(IPaymentLedger))!;
        var now = DateTimeOffset.UtcNow;
        await ledger.AddBill(Bill("short", "S1", now.AddDays(-20)), CancellationToken.None);
        await ledger.AddBill(Bill("short", "S2", now.AddDays(-5)), CancellationToken.None);
        await ledger.AddBill(Bill("long", "L1", now.AddDays(-20)), CancellationToken.None);
        await ledger.AddBill(Bill("long", "L2", now.AddDays(-401)), CancellationToken.None);
        var service = new PaymentsRetentionService(ledger, PaymentsRetentionOptions.From(configuration), PaymentsOptions.From(configuration), TimeProvider.System,
            NullLogger<PaymentsRetentionService>.Instance);

        await service.PruneOnce(CancellationToken.None);

        async Task<string?> Payer(string department, string id) => (await ledger.Bill(department, id + _run, CancellationToken.None))!.PayerName;
        Assert.Null(await Payer("short", "S1"));
        Assert.Equal("Payer S2", await Payer("short", "S2"));
        Assert.Equal("Payer L1", await Payer("long", "L1"));
        Assert.Null(await Payer("long", "L2"));
        Assert.Equal(1000, (await ledger.Bill("short", "S1" + _run, CancellationToken.None))!.AmountMinor);
    }

    // Unique ids per run: the durable hub's database is shared by the fixture's tests.
    readonly string _run = Guid.NewGuid().ToString("N")[..8];

    BillRow Bill(string department, string id, DateTimeOffset at) =>
        new(department, id + _run, "REF" + id, "Payer " + id, "03001234567", "payer@example.com", [new BillItem("Fee", 1000)], 1000, "PKR", null, 0, 0, at, null);
}

public sealed class InMemoryPaymentsRetention(InMemoryPaymentsHub hub) : PaymentsRetentionContract<InMemoryPaymentsHub>(hub);

public sealed class DurablePaymentsRetention(DurablePaymentsHub hub) : PaymentsRetentionContract<DurablePaymentsHub>(hub);
