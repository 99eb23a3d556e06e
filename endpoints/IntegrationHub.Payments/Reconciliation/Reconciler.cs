using IntegrationHub.Adapters.Payments;
using IntegrationHub.Payments.Ledger;

namespace IntegrationHub.Payments.Reconciliation;

/// <summary>One disagreement between the hub's record of a payment and the gateway's.</summary>
public sealed record Mismatch(string Kind, string Reference, string? PaymentId, string? HubState, string? GatewayState, long? HubAmountMinor,
    long? GatewayAmountMinor, string Currency);

public static class MismatchKinds
{
    public const string MissingAtGateway = "missing_at_gateway";
    public const string MissingAtHub = "missing_at_hub";
    public const string AmountMismatch = "amount_mismatch";
    public const string StatusMismatch = "status_mismatch";
}

/// <summary>
/// Compares one account's payments of one day with the gateway's records (Stripe's list of PaymentIntents created that
/// day; JazzCash, which has no list API, an inquiry per payment the hub knows): money the hub holds as captured must be
/// captured at the gateway for the same amount, and money the gateway captured must be captured at the hub.
/// </summary>
public static class Reconciler
{
    public static async Task<IReadOnlyList<Mismatch>> Compare(IReadOnlyList<PaymentRow> hub, IPaymentGateway gateway, DateTimeOffset from, DateTimeOffset to,
        CancellationToken cancellationToken)
    {
        var records = await gateway.List(from, to, [.. hub.Select(p => p.Reference)], cancellationToken);
        var byReference = records.Where(r => r.Reference.Length > 0).GroupBy(r => r.Reference, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First());
        var mismatches = new List<Mismatch>();
        foreach (var payment in hub)
        {
            var record = byReference.GetValueOrDefault(payment.Reference);
            if (payment.State == PaymentStates.Captured)
            {
                if (record is null or { State: PaymentState.NotFound })
                    mismatches.Add(Of(MismatchKinds.MissingAtGateway, payment, record));
                else if (record.State != PaymentState.Captured)
                    mismatches.Add(Of(MismatchKinds.StatusMismatch, payment, record));
                else if (record.Amount?.Minor != payment.CapturedMinor)
                    mismatches.Add(Of(MismatchKinds.AmountMismatch, payment, record));
            }
            else if (record is { State: PaymentState.Captured })
                mismatches.Add(Of(MismatchKinds.StatusMismatch, payment, record));
        }
        var known = hub.Select(p => p.Reference).ToHashSet(StringComparer.Ordinal);
        foreach (var record in byReference.Values.Where(r => r.State == PaymentState.Captured && !known.Contains(r.Reference)))
            mismatches.Add(new Mismatch(MismatchKinds.MissingAtHub, record.Reference, null, null, "captured", null, record.Amount?.Minor, record.Amount?.Currency ?? ""));
        return mismatches;
    }

    static Mismatch Of(string kind, PaymentRow payment, GatewayPayment? record) => new(kind, payment.Reference, payment.Id, payment.State,
        record?.State.ToString().ToLowerInvariant() ?? "absent", payment.State == PaymentStates.Captured ? payment.CapturedMinor : payment.AmountMinor,
        record?.Amount?.Minor, payment.Currency);
}
