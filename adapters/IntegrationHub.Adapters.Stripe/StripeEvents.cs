using System.Text.Json;
using IntegrationHub.Adapters.Payments;

namespace IntegrationHub.Adapters.Stripe;

/// <summary>
/// Reads a verified Stripe event (the raw JSON, not Stripe.net's event parser, which refuses events of another API version):
/// <c>payment_intent.*</c> → the payment by its <c>metadata.hub_reference</c>; <c>refund.*</c> → the refund by
/// <c>metadata.hub_refund</c>; anything else verified but ignored. Events without the hub's reference (payments made
/// outside the hub) are ignored too.
/// </summary>
internal static class StripeEvents
{
    public static CallbackVerification Read(byte[] body)
    {
        try
        {
            using var json = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 32 });
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object || Text(root, "id") is not { Length: > 0 } id || Text(root, "type") is not { } type
                || !root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object
                || !data.TryGetProperty("object", out var item) || item.ValueKind != JsonValueKind.Object)
                return new CallbackVerification.Refused(400, "not a Stripe event: id, type and data.object are needed");
            var metadata = item.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object ? m : default;

            if (type.StartsWith("payment_intent.", StringComparison.Ordinal))
            {
                if (Meta(metadata, StripeGateway.ReferenceKey) is not { } reference)
                    return new CallbackVerification.Verified(id, CallbackKind.Ignored, null);
                var status = Text(item, "status");
                // A declined attempt leaves the intent payable (requires_payment_method); the hub reports it as failed and the saga decides.
                var state = type == "payment_intent.payment_failed" && status != "succeeded" ? PaymentState.Failed : StripeGateway.StateOf(status);
                // A decline's own code (card_declined, expired_card …) says more than the intent's status; never card data.
                var declined = type == "payment_intent.payment_failed"
                    ? Text(item.TryGetProperty("last_payment_error", out var error) ? error : default, "code") ?? "payment_failed"
                    : null;
                return new CallbackVerification.Verified(id, CallbackKind.PaymentEvent,
                    new GatewayPayment(reference, Text(item, "id"), state, AmountOf(item, "amount"), declined ?? status ?? type));
            }
            if (type.StartsWith("refund.", StringComparison.Ordinal) && Meta(metadata, StripeGateway.RefundKey) is { } refund)
            {
                var status = Text(item, "status");
                return new CallbackVerification.Verified(id, CallbackKind.RefundEvent,
                    Meta(metadata, StripeGateway.ReferenceKey) is { } payment ? new GatewayPayment(payment, Text(item, "payment_intent"), PaymentState.Captured, null, "refund") : null,
                    new GatewayRefund(refund, Text(item, "id"), StripeGateway.RefundStateOf(status), status ?? type, Text(item, "failure_reason")));
            }
            return new CallbackVerification.Verified(id, CallbackKind.Ignored, null);
        }
        catch (JsonException)
        {
            return new CallbackVerification.Refused(400, "the event is not JSON");
        }
    }

    static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    static string? Meta(JsonElement metadata, string key) => Text(metadata, key) is { Length: > 0 } value ? value : null;

    static Money? AmountOf(JsonElement item, string name) =>
        item.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var minor) && minor is >= 0 and <= Money.MaxMinor
        && Currencies.TryGet(Text(item, "currency"), out var currency)
            ? new Money(minor, currency.Code)
            : null;
}
