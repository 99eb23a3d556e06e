using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using IntegrationHub.Adapters.Payments.Simulator;
using IntegrationHub.Hosting.Security;
using IntegrationHub.Payments.Development;
using IntegrationHub.Testing;
using Npgsql;
using Xunit.Abstractions;

namespace IntegrationHub.EndToEnd.Tests;

/// <summary>
/// Receipt numbers stay gap-free when the Payments endpoint (its own program, RabbitMQ + PostgreSQL) is killed with
/// <c>kill -9</c> in the middle of 1,000 concurrent captures: after the restart every payment is captured once, and the
/// receipts are numbered 1 to 1,000 with no number missing and none twice — a rolled-back capture gave its number back.
/// Webhooks lost while the endpoint was down are made good by the saga asking Stripe.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class ReceiptKillNineTests(ITestOutputHelper output) : IAsyncLifetime
{
    const int Payments = 1000;
    const int KillAfterReceipts = 300;
    const string Department = "revenue";
    static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    readonly PaymentsProcess _endpoint = new("receipts-kill9", Department);

    public Task InitializeAsync() => _endpoint.InitializeAsync();

    public Task DisposeAsync() => _endpoint.DisposeAsync();

    [Fact]
    public async Task Receipts_are_numbered_without_gaps_across_a_kill_9_in_1000_concurrent_captures()
    {
        using var http = new HttpClient { BaseAddress = _endpoint.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            _endpoint.Token(IntegrationHub.Payments.PaymentScopes.Write.Name, IntegrationHub.Payments.PaymentScopes.Read.Name));
        _endpoint.Stripe.SendingEventsTo(new Uri(http.BaseAddress, $"/api/v1/payments/callbacks/stripe/{DemoPayments.StripeAccount}"));

        var intents = new ConcurrentBag<string>();
        var first = _endpoint.Start("payments#1");
        try
        {
            await _endpoint.WaitForHttp(first, http);
            await Parallel.ForEachAsync(Enumerable.Range(0, Payments), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
            {
                using var response = await http.PostAsync("/api/v1/payments", new StringContent(
                    $$"""{"amount":"{{1 + i % 50}}.00","currency":"USD","account":"{{DemoPayments.StripeAccount}}"}""", Encoding.UTF8, "application/json"), ct);
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            });
            await Eventually.Until(() => _endpoint.Stripe.IntentCount >= Payments, Patience, $"{Payments} PaymentIntents created (so far {_endpoint.Stripe.IntentCount})");
            foreach (var id in IntentIds()) intents.Add(id);

            // Every payer pays at once; the endpoint is killed while the captures (and their receipts) are being committed.
            var paying = Task.Run(() => Parallel.ForEachAsync(intents, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (intent, _) =>
            {
                try { await _endpoint.Stripe.Pay(intent); }
                catch (HttpRequestException) { } // the endpoint is down: the webhook is lost, as Stripe's would be until it retried
            }));
            await Eventually.Until(async () => await Receipts() >= KillAfterReceipts, Patience, $"{KillAfterReceipts} receipts before the kill");
            first.Kill(entireProcessTree: true); // SIGKILL: no shutdown, no flush
            await first.WaitForExitAsync();
            await paying;
        }
        finally
        {
            await PaymentsProcess.Stop(first);
        }
        var atKill = await Receipts();
        output.WriteLine($"killed with {atKill} receipts issued");

        var second = _endpoint.Start("payments#2");
        try
        {
            await _endpoint.WaitForHttp(second, http);
            await Eventually.Until(async () => await Receipts() >= Payments, Patience, $"all {Payments} receipts after the restart (so far {await Receipts()})");
            // Barrier: one more payment captured after everything else; once its receipt exists, any duplicate would too.
            using var barrier = await http.PostAsync("/api/v1/payments", new StringContent(
                $$"""{"amount":"1.00","currency":"USD","account":"{{DemoPayments.StripeAccount}}"}""", Encoding.UTF8, "application/json"));
            await Eventually.Until(() => _endpoint.Stripe.IntentCount > Payments, Patience, "the barrier's intent");
            await _endpoint.Stripe.Pay(IntentIds().Except(intents).Single());
            await Eventually.Until(async () => await Receipts() == Payments + 1, Patience, "the barrier's receipt");

            var (sequences, perPayment) = await ReceiptNumbers();
            Assert.Equal(Enumerable.Range(1, Payments + 1).Select(n => (long)n), sequences);
            Assert.Equal(Payments + 1, perPayment);
            output.WriteLine($"{atKill} receipts before the kill, {Payments + 1 - atKill} after; numbers 1..{Payments + 1}, none missing, none twice");
        }
        finally
        {
            await PaymentsProcess.Stop(second);
        }
    }

    IEnumerable<string> IntentIds() => _endpoint.Stripe.IntentIds;

    async Task<long> Receipts()
    {
        await using var connection = new NpgsqlConnection(_endpoint.Infrastructure.PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM payments.receipts WHERE department = @department", connection);
        command.Parameters.AddWithValue("department", Department);
        try
        {
            return (long)(await command.ExecuteScalarAsync())!;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return 0; // the endpoint has not migrated yet
        }
    }

    async Task<(List<long> Sequences, long DistinctPayments)> ReceiptNumbers()
    {
        await using var connection = new NpgsqlConnection(_endpoint.Infrastructure.PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT sequence FROM payments.receipts WHERE department = @department ORDER BY sequence", connection);
        command.Parameters.AddWithValue("department", Department);
        var sequences = new List<long>();
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync()) sequences.Add(reader.GetInt64(0));
        await using var distinct = new NpgsqlCommand("SELECT count(DISTINCT payment_id) FROM payments.receipts WHERE department = @department", connection);
        distinct.Parameters.AddWithValue("department", Department);
        return (sequences, (long)(await distinct.ExecuteScalarAsync())!);
    }
}
