using System.Net;
using System.Text.Json;
using IntegrationHub.Adapters.Payments;
using Stripe;
using PaymentMethod = IntegrationHub.Adapters.Payments.PaymentMethod;

namespace IntegrationHub.Adapters.Stripe;

/// <summary>
/// A Stripe account through Stripe.net (docs/payments.md): a PaymentIntent per payment (amounts in the currency's minor
/// units, as the hub counts them), created with <c>Idempotency-Key: hub-payment-{reference}</c> so a repeat returns the
/// same intent, the hub's reference in its metadata; refunds with <c>hub-refund-{reference}</c>. Stripe.net's own
/// retries are off: the hub's recoverability decides when to try again.
/// </summary>
public sealed class StripeGateway : IPaymentGateway
{
    public const string Name = "stripe";
    public const string ReferenceKey = "hub_reference";
    public const string RefundKey = "hub_refund";
    const int MaxEventBytes = 256 * 1024;
    readonly StripeOptions _options;
    readonly StripeClient _client;
    readonly HashSet<string> _currencies;

    public StripeGateway(StripeOptions options, HttpClient http)
    {
        _options = options;
        _client = new StripeClient(options.SecretKey, httpClient: new SystemNetHttpClient(http, maxNetworkRetries: 0, enableTelemetry: false),
            apiBase: options.ApiBase.ToString().TrimEnd('/'));
        _currencies = options.Currencies.Select(c => c.ToUpperInvariant()).ToHashSet(StringComparer.Ordinal);
    }

    public string Gateway => Name;

    public string Account => _options.Account;

    public IReadOnlyList<PaymentMethod> Methods { get; } = [PaymentMethod.HostedCheckout];

    public IReadOnlyCollection<string> Currencies => _currencies;

    public bool RefundsAreIdempotent => true;

    public async Task<CreatedPayment> Create(PaymentOrder order, CancellationToken cancellationToken = default)
    {
        if (!_currencies.Contains(order.Amount.Currency))
            throw new ExternalSystemException(Name, ExternalFailure.Invalid, $"this Stripe account takes {string.Join(", ", _currencies)}, not {order.Amount.Currency}");
        var metadata = new Dictionary<string, string>(order.Metadata ?? new Dictionary<string, string>()) { [ReferenceKey] = order.Reference, ["bill_reference"] = order.BillReference };
        var intent = await Calling("create a PaymentIntent", () => new PaymentIntentService(_client).CreateAsync(new PaymentIntentCreateOptions
        {
            Amount = order.Amount.Minor,
            Currency = order.Amount.Currency.ToLowerInvariant(),
            Description = order.Description,
            AutomaticPaymentMethods = new PaymentIntentAutomaticPaymentMethodsOptions { Enabled = true },
            Metadata = metadata,
        }, new RequestOptions { IdempotencyKey = "hub-payment-" + order.Reference }, cancellationToken));
        return new CreatedPayment(intent.Id, Payment(intent, order.Reference), new Checkout.ClientSecret(intent.ClientSecret, _options.PublishableKey));
    }

    public async Task<GatewayPayment> Status(string reference, string? gatewayId, CancellationToken cancellationToken = default)
    {
        if (gatewayId is null)
            return new GatewayPayment(reference, null, PaymentState.NotFound, null, "no PaymentIntent id");
        try
        {
            var intent = await Calling("read a PaymentIntent", () => new PaymentIntentService(_client).GetAsync(gatewayId, cancellationToken: cancellationToken));
            return Payment(intent, reference);
        }
        catch (ExternalSystemException e) when (e.InnerException is StripeException { HttpStatusCode: HttpStatusCode.NotFound })
        {
            return new GatewayPayment(reference, gatewayId, PaymentState.NotFound, null, "resource_missing");
        }
    }

    public async Task<GatewayPayment> Cancel(string reference, string? gatewayId, CancellationToken cancellationToken = default)
    {
        var current = await Status(reference, gatewayId, cancellationToken);
        if (current.State != PaymentState.Pending || current.Code is "processing")
            return current; // captured, failed or unknown meanwhile: nothing to cancel (a processing intent cannot be)
        var intent = await Calling("cancel a PaymentIntent", () => new PaymentIntentService(_client).CancelAsync(gatewayId!,
            new PaymentIntentCancelOptions { CancellationReason = "abandoned" }, new RequestOptions { IdempotencyKey = "hub-cancel-" + reference }, cancellationToken));
        return Payment(intent, reference);
    }

    public async Task<GatewayRefund> Refund(RefundOrder refund, CancellationToken cancellationToken = default)
    {
        try
        {
            var created = await Calling("create a refund", () => new RefundService(_client).CreateAsync(new RefundCreateOptions
            {
                PaymentIntent = refund.PaymentGatewayId,
                Amount = refund.Amount.Minor,
                Metadata = new Dictionary<string, string> { [RefundKey] = refund.Reference, [ReferenceKey] = refund.PaymentReference },
            }, new RequestOptions { IdempotencyKey = "hub-refund-" + refund.Reference }, cancellationToken));
            return RefundOf(created, refund.Reference);
        }
        catch (ExternalSystemException e) when (e.InnerException is StripeException { HttpStatusCode: HttpStatusCode.BadRequest } stripe)
        {
            // e.g. charge_already_refunded, amount too large: the refund is refused, not retried.
            return new GatewayRefund(refund.Reference, null, RefundState.Failed, stripe.StripeError?.Code ?? "invalid_request", stripe.StripeError?.Message);
        }
    }

    public CallbackVerification Verify(GatewayCallback callback)
    {
        if (callback.Body.Length > MaxEventBytes)
            return new CallbackVerification.Refused(400, $"a Stripe event is at most {MaxEventBytes} bytes");
        if (StripeSignature.Problem(callback.Headers.GetValueOrDefault(StripeSignature.Header), callback.Body, _options.WebhookSecrets,
                callback.ReceivedAt, _options.SignatureTolerance) is { } problem)
            return new CallbackVerification.Refused(401, problem);
        return StripeEvents.Read(callback.Body);
    }

    public async Task<IReadOnlyList<GatewayPayment>> List(DateTimeOffset from, DateTimeOffset to, IReadOnlyCollection<string> known,
        CancellationToken cancellationToken = default)
    {
        var payments = new List<GatewayPayment>();
        var options = new PaymentIntentListOptions
        {
            Created = new DateRangeOptions { GreaterThanOrEqual = from.UtcDateTime, LessThan = to.UtcDateTime },
            Limit = 100,
        };
        try
        {
            await foreach (var intent in new PaymentIntentService(_client).ListAutoPagingAsync(options, cancellationToken: cancellationToken))
                payments.Add(Payment(intent, intent.Metadata?.GetValueOrDefault(ReferenceKey) ?? ""));
        }
        catch (StripeException e)
        {
            throw Failure("list PaymentIntents", e);
        }
        catch (HttpRequestException e)
        {
            throw new ExternalSystemException(Name, ExternalFailure.Unavailable, $"list PaymentIntents: unreachable ({e.HttpRequestError})", e);
        }
        return payments;
    }

    static GatewayPayment Payment(PaymentIntent intent, string reference)
    {
        var currency = intent.Currency?.ToUpperInvariant() ?? "";
        Money? amount = Payments.Currencies.TryGet(currency, out _) && intent.Amount is >= 0 and <= Money.MaxMinor ? new Money(intent.Amount, currency) : null;
        return new GatewayPayment(reference, intent.Id, StateOf(intent.Status), amount, intent.Status ?? "", CreatedAt: intent.Created,
            Instrument: intent.PaymentMethodTypes?.FirstOrDefault());
    }

    internal static PaymentState StateOf(string? status) => status switch
    {
        "succeeded" => PaymentState.Captured,
        "canceled" => PaymentState.Failed,
        // requires_payment_method after a decline is still payable: the payer may try another card until the order expires.
        _ => PaymentState.Pending,
    };

    internal static RefundState RefundStateOf(string? status) => status switch
    {
        "succeeded" => RefundState.Completed,
        "failed" or "canceled" => RefundState.Failed,
        _ => RefundState.Pending,
    };

    static GatewayRefund RefundOf(global::Stripe.Refund refund, string reference) =>
        new(reference, refund.Id, RefundStateOf(refund.Status), refund.Status ?? "", refund.FailureReason);

    static async Task<T> Calling<T>(string what, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (StripeException e)
        {
            throw Failure(what, e);
        }
        catch (HttpRequestException e)
        {
            throw new ExternalSystemException(Name, ExternalFailure.Unavailable, $"{what}: unreachable ({e.HttpRequestError})", e);
        }
        catch (TaskCanceledException e)
        {
            throw new ExternalSystemException(Name, ExternalFailure.TimedOut, $"{what}: no answer in time", e);
        }
        catch (JsonException e)
        {
            throw new ExternalSystemException(Name, ExternalFailure.Unavailable, $"{what}: the answer is not Stripe's JSON", e);
        }
    }

    static ExternalSystemException Failure(string what, StripeException e)
    {
        var status = (int)e.HttpStatusCode;
        var kind = status switch
        {
            401 or 403 => ExternalFailure.Unauthorized,
            408 or 409 or 429 or >= 500 or 0 => ExternalFailure.Unavailable, // 409: an idempotent request still in flight
            _ => ExternalFailure.Invalid,
        };
        return new ExternalSystemException(Name, kind, $"{what}: {status} {e.StripeError?.Type} {e.StripeError?.Code}".TrimEnd(), e);
    }
}
