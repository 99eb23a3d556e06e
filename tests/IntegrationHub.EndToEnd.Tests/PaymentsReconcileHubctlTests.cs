using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using IntegrationHub.Adapters.Payments.Simulator;
using IntegrationHub.Payments;
using IntegrationHub.Payments.Development;
using IntegrationHub.Testing;

namespace IntegrationHub.EndToEnd.Tests;

/// <summary>
/// <c>hubctl payments reconcile</c> against the Payments endpoint as its own program on RabbitMQ + PostgreSQL: it asks the
/// endpoint through the broker, reads the report from the database, prints the planted mismatch and exits 1; a day
/// where the gateway agrees exits 0.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class PaymentsReconcileHubctlTests : IAsyncLifetime
{
    const string Department = "revenue";
    static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);
    readonly PaymentsProcess _endpoint = new("payments-hubctl", Department);

    public Task InitializeAsync() => _endpoint.InitializeAsync();

    public Task DisposeAsync() => _endpoint.DisposeAsync();

    [Fact]
    public async Task Reconcile_prints_the_planted_mismatch_and_exits_1()
    {
        using var http = new HttpClient { BaseAddress = _endpoint.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _endpoint.Token(PaymentScopes.Write.Name, PaymentScopes.Read.Name));
        _endpoint.Stripe.SendingEventsTo(new Uri(_endpoint.BaseAddress, $"/api/v1/payments/callbacks/stripe/{DemoPayments.StripeAccount}"));
        var process = _endpoint.Start("payments");
        try
        {
            await _endpoint.WaitForHttp(process, http);
            var references = new List<string>();
            foreach (var amount in new[] { "10.00", "20.00" })
            {
                using var accepted = await http.PostAsync("/api/v1/payments", new StringContent(
                    $$"""{"amount":"{{amount}}","currency":"USD","account":"{{DemoPayments.StripeAccount}}"}""", Encoding.UTF8, "application/json"));
                var statusUrl = JsonDocument.Parse(await accepted.Content.ReadAsStringAsync()).RootElement.GetProperty("statusUrl").GetString()!;
                string? reference = null;
                await Eventually.Until(async () => (reference = _endpoint.Stripe.IntentFor(JsonDocument.Parse(await http.GetStringAsync(statusUrl)).RootElement
                    .GetProperty("reference").GetString()!)) is not null, Patience, "the intent");
                await _endpoint.Stripe.Pay(reference!);
                await Eventually.Until(async () => JsonDocument.Parse(await http.GetStringAsync(statusUrl)).RootElement.GetProperty("status").GetString() == "captured",
                    Patience, "captured");
                references.Add(JsonDocument.Parse(await http.GetStringAsync(statusUrl)).RootElement.GetProperty("reference").GetString()!);
            }
            var day = DateTime.UtcNow.ToString("yyyy-MM-dd");
            var clean = await Hubctl("payments", "reconcile", "--date", day, "--account", DemoPayments.StripeAccount);
            Assert.True(clean.ExitCode == 0, clean.Output + clean.Error);
            Assert.Contains("no mismatches", clean.Output);

            _endpoint.Stripe.Tamper(_endpoint.Stripe.IntentFor(references[1])!, amount: 2001);
            var found = await Hubctl("payments", "reconcile", "--date", day, "--account", DemoPayments.StripeAccount);

            Assert.Equal(1, found.ExitCode);
            var line = Assert.Single(found.Output.Split('\n'), l => l.Contains(references[1], StringComparison.Ordinal));
            Assert.Contains("amount_mismatch", line);
            Assert.Contains("2001", line);
            Assert.DoesNotContain(references[0], found.Output);
        }
        finally
        {
            await PaymentsProcess.Stop(process);
        }
    }

    [Fact]
    public async Task Reconcile_without_the_endpoint_running_says_so_and_exits_2()
    {
        var run = await Hubctl("payments", "reconcile", "--date", "2026-12-01", "--account", DemoPayments.StripeAccount, "--wait", "3");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("Payments endpoint", run.Error);
        Assert.Empty(run.StackTraceLines);
    }

    Task<ProgramOutcome> Hubctl(params string[] args) => ProgramRun.Run(BuiltPrograms.Dll("HubctlDll")!,
        [.. args, "--postgres", _endpoint.Infrastructure.PostgresConnectionString, "--rabbitmq", _endpoint.Infrastructure.RabbitMqConnectionString],
        new Dictionary<string, string?>(), Patience);
}
