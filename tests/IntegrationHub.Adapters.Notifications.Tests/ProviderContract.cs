using System.Collections.Concurrent;
using System.Text;
using IntegrationHub.Adapters.Notifications.Simulator;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace IntegrationHub.Adapters.Notifications.Tests;

/// <summary>A provider adapter, its simulator, and where the simulator's receipts land.</summary>
public interface IProviderUnderTest : IDisposable
{
    INotificationProvider Provider { get; }

    ProviderBehaviour Behaviour { get; }

    string Recipient(bool deliverable = true);

    /// <summary>The receipts the provider sent for <paramref name="providerId"/> so far, as the hub would receive them.</summary>
    IReadOnlyList<ProviderCallback> Callbacks(string providerId);

    /// <summary>A provider whose sends time out after <paramref name="timeout"/>.</summary>
    INotificationProvider WithTimeout(TimeSpan timeout);
}

/// <summary>
/// What the per-recipient saga relies on from every provider with receipts: a taken message has the provider's id; its
/// receipts verify and carry states that end in delivered (or undelivered, bounced); a refusal is "surely not taken",
/// a send with no answer "maybe taken"; a tampered receipt is refused.
/// </summary>
public abstract class ProviderContract<TProvider>(TProvider under) : IClassFixture<TProvider> where TProvider : class, IProviderUnderTest
{
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    OutboundMessage Message(bool deliverable = true) =>
        new(under.Provider.Channel, under.Recipient(deliverable), "Your report LAB-0440 is ready.", "Report ready", "ntf_" + Guid.NewGuid().ToString("N")[..12]);

    async Task<List<DeliveryReceipt>> ReceiptsOf(string providerId, int atLeast)
    {
        var receipts = new List<DeliveryReceipt>();
        var deadline = DateTime.UtcNow + Wait;
        while (DateTime.UtcNow < deadline)
        {
            receipts = [.. under.Callbacks(providerId).SelectMany(c => Assert.IsType<ReceiptVerification.Verified>(under.Provider.Verify(c)).Receipts)
                .Where(r => r.ProviderMessageId == providerId)];
            if (receipts.Count >= atLeast) return receipts;
            await Task.Delay(50);
        }
        throw new TimeoutException($"{receipts.Count} of {atLeast} receipts for {providerId}");
    }

    [Fact]
    public async Task Taken_message_ends_delivered_through_verified_receipts()
    {
        var message = Message();

        var accepted = await under.Provider.Send(message);
        var receipts = await ReceiptsOf(accepted.ProviderMessageId, 2);

        Assert.False(string.IsNullOrEmpty(accepted.ProviderMessageId));
        Assert.Equal(DeliveryState.Delivered, receipts[^1].State);
        Assert.All(receipts, r => Assert.Equal(message.Reference, r.Reference));
        Assert.Equal(receipts.Count, receipts.Select(r => r.EventId).Distinct().Count());
    }

    [Fact]
    public async Task Undeliverable_recipient_ends_in_a_final_failure()
    {
        var accepted = await under.Provider.Send(Message(deliverable: false));

        var receipts = await ReceiptsOf(accepted.ProviderMessageId, 2);

        Assert.Contains(receipts[^1].State, new[] { DeliveryState.Undelivered, DeliveryState.Bounced });
    }

    [Fact]
    public async Task Refused_send_is_surely_not_taken()
    {
        under.Behaviour.RefuseNext(1);

        var refused = await Assert.ThrowsAsync<ExternalSystemException>(() => under.Provider.Send(Message()));

        Assert.Equal(ExternalFailure.Unavailable, refused.Kind);
    }

    [Fact]
    public async Task Send_without_an_answer_is_maybe_taken()
    {
        under.Behaviour.HangFor = TimeSpan.FromSeconds(3);
        under.Behaviour.HangNext(1);

        var unknown = await Assert.ThrowsAsync<ExternalSystemException>(() => under.WithTimeout(TimeSpan.FromSeconds(1)).Send(Message()));

        Assert.Equal(ExternalFailure.TimedOut, unknown.Kind);
    }

    [Fact]
    public async Task Tampered_receipt_is_refused()
    {
        var accepted = await under.Provider.Send(Message());
        await ReceiptsOf(accepted.ProviderMessageId, 1);
        var callback = under.Callbacks(accepted.ProviderMessageId)[0];
        var text = Encoding.UTF8.GetString(callback.Body);
        var tampered = callback with { Body = Encoding.UTF8.GetBytes(text.Contains("delivered") ? text.Replace("delivered", "undelivered") : text.Replace("sent", "failed").Replace("processed", "dropped")) };

        Assert.IsType<ReceiptVerification.Refused>(under.Provider.Verify(tampered));
    }
}

/// <summary>A WireMock server that keeps every callback posted to it, as the hub's callback route would receive it.</summary>
public sealed class CallbackReceiver : IDisposable
{
    readonly WireMockServer _server = WireMockServer.Start();
    readonly ConcurrentQueue<ProviderCallback> _received = new();

    public CallbackReceiver() => _server.Given(Request.Create().UsingPost()).RespondWith(Response.Create().WithCallback(request =>
    {
        _received.Enqueue(new ProviderCallback(request.BodyAsBytes ?? Encoding.UTF8.GetBytes(request.Body ?? ""),
            request.Headers?.FirstOrDefault(h => h.Key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)).Value?.FirstOrDefault(),
            request.Headers!.ToDictionary(h => h.Key, h => h.Value.First(), StringComparer.OrdinalIgnoreCase), new Uri(request.Url), DateTimeOffset.UtcNow));
        return new WireMock.ResponseMessage { StatusCode = 200 };
    }));

    public Uri Url(string path) => new(_server.Url + path);

    public IReadOnlyList<ProviderCallback> Received => [.. _received];

    public void Dispose()
    {
        _server.Stop();
        _server.Dispose();
    }
}

public sealed class TwilioUnderTest : IProviderUnderTest
{
    readonly TwilioSimulator _simulator = TwilioSimulator.Start();
    readonly CallbackReceiver _receiver = new();
    readonly HttpClient _http = new();

    public TwilioUnderTest()
    {
        _simulator.Behaviour.Undeliverable.Add("+923009999999");
        Provider = new TwilioSms(_simulator.Options("main", _receiver.Url("/twilio")), _http);
    }

    public INotificationProvider Provider { get; }

    public ProviderBehaviour Behaviour => _simulator.Behaviour;

    public string Recipient(bool deliverable = true) => deliverable ? "+923001234567" : "+923009999999";

    public IReadOnlyList<ProviderCallback> Callbacks(string providerId) =>
        [.. _receiver.Received.Where(c => Encoding.UTF8.GetString(c.Body).Contains(providerId, StringComparison.Ordinal))];

    public INotificationProvider WithTimeout(TimeSpan timeout) =>
        new TwilioSms(_simulator.Options("main", _receiver.Url("/twilio")), new HttpClient { Timeout = timeout });

    public void Dispose()
    {
        _simulator.Dispose();
        _receiver.Dispose();
        _http.Dispose();
    }
}

public sealed class SendGridUnderTest : IProviderUnderTest
{
    readonly SendGridSimulator _simulator = SendGridSimulator.Start();
    readonly CallbackReceiver _receiver = new();
    readonly HttpClient _http = new();

    public SendGridUnderTest()
    {
        _simulator.Behaviour.Undeliverable.Add("nobody@bounce.example");
        _simulator.SendingEventsTo(_receiver.Url("/sendgrid"));
        Provider = new SendGridEmail(_simulator.Options("mail"), _http);
    }

    public INotificationProvider Provider { get; }

    public ProviderBehaviour Behaviour => _simulator.Behaviour;

    public string Recipient(bool deliverable = true) => deliverable ? "ayesha@example.gov.pk" : "nobody@bounce.example";

    public IReadOnlyList<ProviderCallback> Callbacks(string providerId) =>
        [.. _receiver.Received.Where(c => Encoding.UTF8.GetString(c.Body).Contains(providerId, StringComparison.Ordinal))];

    public INotificationProvider WithTimeout(TimeSpan timeout) => new SendGridEmail(_simulator.Options("mail"), new HttpClient { Timeout = timeout });

    public void Dispose()
    {
        _simulator.Dispose();
        _receiver.Dispose();
        _http.Dispose();
        ((IDisposable)Provider).Dispose();
    }
}

public sealed class TwilioContract(TwilioUnderTest under) : ProviderContract<TwilioUnderTest>(under);

public sealed class SendGridContract(SendGridUnderTest under) : ProviderContract<SendGridUnderTest>(under);
