using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Adapters.Stripe;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;

namespace IntegrationHub.Adapters.Payments.Simulator;

/// <summary>
/// How the simulator delivers the events of one action: as Stripe does, twice, not at all (a lost webhook), or late
/// (after <see cref="StripeSimulator.EventDelay"/>, in the background, as Stripe's retries arrive).
/// </summary>
public enum EventDelivery { Once, Twice, Lost, Delayed }

/// <summary>
/// Stripe's API on a WireMock server on loopback, as much as the hub uses (docs/payments.md): PaymentIntents (create with
/// Idempotency-Key, read, cancel, list by creation time with pagination) and refunds, form-encoded with a Bearer secret
/// key; the payer's side (<see cref="Pay"/>, <see cref="Decline"/>) moves an intent and sends the signed events to the
/// webhook URL, once, twice or never. Amounts are minor units, as Stripe counts them.
/// </summary>
public sealed class StripeSimulator : IDisposable
{
    public const string SecretKey = "sk_test_simulated_not_a_real_key";
    public const string PublishableKey = "pk_test_simulated_not_a_real_key";
    public const string WebhookSecret = "whsec_simulated_not_a_real_secret";
    readonly WireMockServer _server;
    readonly ConcurrentDictionary<string, JsonObject> _intents = new();
    readonly ConcurrentDictionary<string, JsonObject> _refunds = new();
    readonly ConcurrentDictionary<string, (string Request, string Response, int Status)> _idempotent = new();
    readonly ConcurrentQueue<string> _sentEvents = new();
    readonly object _gate = new();
    Func<HttpClient> _client = () => new HttpClient();
    int _sequence;

    StripeSimulator(WireMockServer server)
    {
        _server = server;
        _server.Given(Request.Create().WithPath("/v1/payment_intents").UsingPost()).RespondWith(Response.Create().WithCallback(CreateIntent));
        _server.Given(Request.Create().WithPath("/v1/payment_intents").UsingGet()).RespondWith(Response.Create().WithCallback(ListIntents));
        _server.Given(Request.Create().WithPath(new WireMock.Matchers.RegexMatcher(@"^/v1/payment_intents/[^/]+$")).UsingGet())
            .RespondWith(Response.Create().WithCallback(GetIntent));
        _server.Given(Request.Create().WithPath(new WireMock.Matchers.RegexMatcher(@"^/v1/payment_intents/[^/]+/cancel$")).UsingPost())
            .RespondWith(Response.Create().WithCallback(CancelIntent));
        _server.Given(Request.Create().WithPath("/v1/refunds").UsingPost()).RespondWith(Response.Create().WithCallback(CreateRefund));
    }

    public static StripeSimulator Start() => new(WireMockServer.Start(new WireMockServerSettings { Urls = ["http://127.0.0.1:0"] }));

    public Uri ApiBase => new(_server.Url!);

    /// <summary>Where events go (the hub's callback route for this account); null: nowhere yet.</summary>
    public Uri? WebhookUrl { get; private set; }

    public StripeSimulator SendingEventsTo(Uri url, Func<HttpClient>? client = null)
    {
        WebhookUrl = url;
        if (client is not null) _client = client;
        return this;
    }

    /// <summary>How late <see cref="EventDelivery.Delayed"/> events come.</summary>
    public TimeSpan EventDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The clock the simulator stamps intents and signatures with (tests may move it).</summary>
    public Func<DateTimeOffset> Now { get; set; } = () => DateTimeOffset.UtcNow;

    public StripeOptions Options(string account, params string[] currencies) => new()
    {
        Account = account, SecretKey = SecretKey, PublishableKey = PublishableKey, WebhookSecrets = [WebhookSecret], ApiBase = ApiBase,
        Currencies = currencies.Length > 0 ? currencies : ["USD", "PKR", "INR"],
    };

    public IReadOnlyCollection<string> SentEvents => _sentEvents.ToArray();

    public JsonObject? Intent(string id) => _intents.TryGetValue(id, out var intent) ? (JsonObject)intent.DeepClone() : null;

    /// <summary>The intent the hub created for its <paramref name="reference"/>.</summary>
    public string? IntentFor(string reference) =>
        _intents.Values.FirstOrDefault(i => i["metadata"]?[StripeGateway.ReferenceKey]?.GetValue<string>() == reference)?["id"]?.GetValue<string>();

    public int IntentCount => _intents.Count;

    public IReadOnlyCollection<string> IntentIds => [.. _intents.Keys];

    // ---- the payer's side ----

    /// <summary>The payer pays: the intent succeeds and <c>payment_intent.succeeded</c> is sent.</summary>
    public Task<string> Pay(string intentId, EventDelivery delivery = EventDelivery.Once) =>
        Move(intentId, "succeeded", "payment_intent.succeeded", delivery, intent => intent["amount_received"] = intent["amount"]!.GetValue<long>());

    /// <summary>The payer's card is declined: <c>payment_intent.payment_failed</c>, the intent back to requires_payment_method.</summary>
    public Task<string> Decline(string intentId, EventDelivery delivery = EventDelivery.Once) =>
        Move(intentId, "requires_payment_method", "payment_intent.payment_failed", delivery,
            intent => intent["last_payment_error"] = new JsonObject { ["code"] = "card_declined", ["decline_code"] = "insufficient_funds" });

    /// <summary>Sets an intent's amount or status behind the hub's back, for reconciliation tests.</summary>
    public void Tamper(string intentId, long? amount = null, string? status = null)
    {
        lock (_gate)
        {
            var intent = _intents[intentId];
            if (amount is { } a) intent["amount"] = a;
            if (status is { } s) intent["status"] = s;
        }
    }

    /// <summary>Forgets an intent, as if the hub had dreamt it (reconciliation tests: missing at the gateway).</summary>
    public void Forget(string intentId) => _intents.TryRemove(intentId, out _);

    /// <summary>An intent made at Stripe without the hub (reconciliation tests: missing at the hub), paid at once.</summary>
    public string Elsewhere(long amount, string currency, string reference)
    {
        var id = "pi_sim_" + Guid.NewGuid().ToString("N")[..20];
        _intents[id] = new JsonObject
        {
            ["id"] = id, ["object"] = "payment_intent", ["amount"] = amount, ["amount_received"] = amount, ["currency"] = currency.ToLowerInvariant(),
            ["status"] = "succeeded", ["client_secret"] = id + "_secret_x", ["created"] = Now().ToUnixTimeSeconds(), ["livemode"] = false,
            ["payment_method_types"] = new JsonArray("card"), ["metadata"] = new JsonObject { [StripeGateway.ReferenceKey] = reference },
        };
        return id;
    }

    /// <summary>An event body and its signature header as Stripe would send them (for tests of forged and stale events).</summary>
    public (byte[] Body, string Signature) SignedEvent(string type, JsonObject item, DateTimeOffset? at = null, string secret = WebhookSecret)
    {
        var timestamp = (at ?? Now()).ToUnixTimeSeconds();
        var body = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["id"] = "evt_sim_" + Interlocked.Increment(ref _sequence).ToString("D6", CultureInfo.InvariantCulture),
            ["object"] = "event", ["api_version"] = "2025-09-30.clover", ["created"] = timestamp, ["type"] = type, ["livemode"] = false,
            ["data"] = new JsonObject { ["object"] = item.DeepClone() },
        }.ToJsonString());
        return (body, StripeSignature.HeaderFor(secret, timestamp, body));
    }

    /// <summary>Posts an event body with a header to the webhook URL; returns the status the hub answered.</summary>
    public async Task<int> Deliver(byte[] body, string? signature)
    {
        if (WebhookUrl is null) throw new InvalidOperationException("The simulator has no webhook URL: call SendingEventsTo first");
        using var client = _client();
        using var request = new HttpRequestMessage(HttpMethod.Post, WebhookUrl) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json") { CharSet = "utf-8" };
        if (signature is not null) request.Headers.TryAddWithoutValidation(StripeSignature.Header, signature);
        using var response = await client.SendAsync(request);
        return (int)response.StatusCode;
    }

    async Task<string> Move(string intentId, string status, string eventType, EventDelivery delivery, Action<JsonObject> change)
    {
        JsonObject snapshot;
        lock (_gate)
        {
            var intent = _intents.TryGetValue(intentId, out var found) ? found : throw new KeyNotFoundException($"no PaymentIntent {intentId}");
            change(intent);
            intent["status"] = status;
            snapshot = (JsonObject)intent.DeepClone();
        }
        var (body, signature) = SignedEvent(eventType, snapshot);
        var id = System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
        _sentEvents.Enqueue(id);
        if (delivery == EventDelivery.Delayed && WebhookUrl is not null)
        {
            // Signed now, delivered later: the signature's timestamp ages as a retried webhook's does.
            _ = Task.Run(async () =>
            {
                await Task.Delay(EventDelay);
                try { await Deliver(body, signature); }
                catch (HttpRequestException) { } // the hub is gone by then: a webhook Stripe would give up on
            });
        }
        else if (delivery != EventDelivery.Lost && WebhookUrl is not null)
        {
            await Deliver(body, signature);
            if (delivery == EventDelivery.Twice) await Deliver(body, signature);
        }
        return id;
    }

    // ---- the API ----

    IResponseMessage CreateIntent(IRequestMessage request) => Idempotent(request, () =>
    {
        var form = SimulatedRequests.Form(SimulatedRequests.Body(request));
        if (!long.TryParse(form.GetValueOrDefault("amount"), NumberStyles.None, CultureInfo.InvariantCulture, out var amount) || amount < 1)
            return Error(400, "invalid_request_error", "parameter_missing", "amount must be a positive integer of minor units");
        if (form.GetValueOrDefault("currency") is not { Length: 3 } currency || currency != currency.ToLowerInvariant())
            return Error(400, "invalid_request_error", "parameter_invalid_empty", "currency must be a lower-case ISO code");
        var id = "pi_sim_" + Guid.NewGuid().ToString("N")[..20];
        var intent = new JsonObject
        {
            ["id"] = id, ["object"] = "payment_intent", ["amount"] = amount, ["amount_received"] = 0, ["currency"] = currency,
            ["status"] = "requires_payment_method", ["client_secret"] = id + "_secret_" + Guid.NewGuid().ToString("N")[..16],
            ["created"] = Now().ToUnixTimeSeconds(), ["description"] = form.GetValueOrDefault("description"), ["livemode"] = false,
            ["payment_method_types"] = new JsonArray("card"), ["metadata"] = Metadata(form),
        };
        _intents[id] = intent;
        return (200, intent.ToJsonString());
    });

    IResponseMessage GetIntent(IRequestMessage request)
    {
        if (Unauthorized(request) is { } refused) return refused;
        var id = request.Path.Split('/')[3];
        lock (_gate)
            return _intents.TryGetValue(id, out var intent)
                ? SimulatedRequests.Json(200, intent.ToJsonString())
                : Error(404, "invalid_request_error", "resource_missing", $"No such payment_intent: '{id}'").AsResponse();
    }

    IResponseMessage CancelIntent(IRequestMessage request) => Idempotent(request, () =>
    {
        var id = request.Path.Split('/')[3];
        lock (_gate)
        {
            if (!_intents.TryGetValue(id, out var intent))
                return Error(404, "invalid_request_error", "resource_missing", $"No such payment_intent: '{id}'");
            if (intent["status"]!.GetValue<string>() is "succeeded" or "canceled" or "processing")
                return Error(400, "invalid_request_error", "payment_intent_unexpected_state", "This PaymentIntent cannot be canceled");
            intent["status"] = "canceled";
            intent["cancellation_reason"] = "abandoned";
            return (200, intent.ToJsonString());
        }
    });

    IResponseMessage ListIntents(IRequestMessage request)
    {
        if (Unauthorized(request) is { } refused) return refused;
        var query = SimulatedRequests.Form(new Uri(request.AbsoluteUrl).Query);
        long? gte = long.TryParse(query.GetValueOrDefault("created[gte]"), out var g) ? g : null;
        long? lt = long.TryParse(query.GetValueOrDefault("created[lt]"), out var l) ? l : null;
        var limit = Math.Clamp(int.TryParse(query.GetValueOrDefault("limit"), out var n) ? n : 10, 1, 100);
        List<JsonObject> all;
        lock (_gate)
            all = _intents.Values.Where(i => i["created"]!.GetValue<long>() is var c && (gte is null || c >= gte) && (lt is null || c < lt))
                .OrderByDescending(i => i["created"]!.GetValue<long>()).ThenByDescending(i => i["id"]!.GetValue<string>(), StringComparer.Ordinal)
                .Select(i => (JsonObject)i.DeepClone()).ToList();
        if (query.GetValueOrDefault("starting_after") is { } after)
            all = all.SkipWhile(i => i["id"]!.GetValue<string>() != after).Skip(1).ToList();
        var page = new JsonArray([.. all.Take(limit)]);
        return SimulatedRequests.Json(200, new JsonObject { ["object"] = "list", ["url"] = "/v1/payment_intents", ["has_more"] = all.Count > limit, ["data"] = page }.ToJsonString());
    }

    IResponseMessage CreateRefund(IRequestMessage request) => Idempotent(request, () =>
    {
        var form = SimulatedRequests.Form(SimulatedRequests.Body(request));
        lock (_gate)
        {
            if (form.GetValueOrDefault("payment_intent") is not { } id || !_intents.TryGetValue(id, out var intent))
                return Error(400, "invalid_request_error", "resource_missing", "No such payment_intent");
            if (intent["status"]!.GetValue<string>() != "succeeded")
                return Error(400, "invalid_request_error", "charge_not_refundable", "This PaymentIntent has no successful charge to refund");
            var received = intent["amount_received"]!.GetValue<long>();
            var refunded = intent["amount_refunded_sim"]?.GetValue<long>() ?? 0;
            var amount = long.TryParse(form.GetValueOrDefault("amount"), out var a) ? a : received - refunded;
            if (amount < 1 || refunded + amount > received)
                return Error(400, "invalid_request_error", refunded >= received ? "charge_already_refunded" : "amount_too_large",
                    $"Refund amount ({amount}) is greater than unrefunded amount on charge ({received - refunded})");
            intent["amount_refunded_sim"] = refunded + amount;
            var refund = new JsonObject
            {
                ["id"] = "re_sim_" + Guid.NewGuid().ToString("N")[..20], ["object"] = "refund", ["amount"] = amount, ["currency"] = intent["currency"]!.GetValue<string>(),
                ["payment_intent"] = id, ["status"] = "succeeded", ["created"] = Now().ToUnixTimeSeconds(), ["metadata"] = Metadata(form),
            };
            _refunds[refund["id"]!.GetValue<string>()] = refund;
            return (200, refund.ToJsonString());
        }
    });

    IResponseMessage Idempotent(IRequestMessage request, Func<(int Status, string Body)> handle)
    {
        if (Unauthorized(request) is { } refused) return refused;
        var key = SimulatedRequests.Header(request, "Idempotency-Key");
        var body = request.Path + "?" + SimulatedRequests.Body(request);
        if (key is null) { var (s, b) = handle(); return SimulatedRequests.Json(s, b); }
        lock (_idempotent)
        {
            if (_idempotent.TryGetValue(key, out var earlier))
                return earlier.Request == body
                    ? SimulatedRequests.Json(earlier.Status, earlier.Response)
                    : Error(400, "idempotency_error", "idempotency_key_in_use",
                        "Keys for idempotent requests can only be used with the same parameters they were first used with.").AsResponse();
            var (status, response) = handle();
            _idempotent[key] = (body, response, status);
            return SimulatedRequests.Json(status, response);
        }
    }

    static IResponseMessage? Unauthorized(IRequestMessage request) =>
        SimulatedRequests.Header(request, "Authorization") == "Bearer " + SecretKey
            ? null
            : Error(401, "invalid_request_error", "api_key_invalid", "Invalid API Key provided").AsResponse();

    static (int Status, string Body) Error(int status, string type, string code, string message) =>
        (status, new JsonObject { ["error"] = new JsonObject { ["type"] = type, ["code"] = code, ["message"] = message } }.ToJsonString());

    static JsonObject Metadata(Dictionary<string, string> form)
    {
        var metadata = new JsonObject();
        foreach (var (name, value) in form)
            if (name.StartsWith("metadata[", StringComparison.Ordinal) && name.EndsWith(']'))
                metadata[name["metadata[".Length..^1]] = value;
        return metadata;
    }

    public void Dispose()
    {
        _server.Stop();
        _server.Dispose();
    }
}

internal static class StripeErrorExtensions
{
    public static IResponseMessage AsResponse(this (int Status, string Body) error) => SimulatedRequests.Json(error.Status, error.Body);
}
