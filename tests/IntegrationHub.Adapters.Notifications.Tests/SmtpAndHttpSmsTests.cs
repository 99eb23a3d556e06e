using System.Net;
using IntegrationHub.Adapters.Notifications.Simulator;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace IntegrationHub.Adapters.Notifications.Tests;

public sealed class SmtpEmailTests : IDisposable
{
    readonly SmtpRelaySimulator _relay = new();

    public void Dispose() => _relay.Dispose();

    [Fact]
    public async Task Relay_takes_the_message_and_it_ends_sent()
    {
        var smtp = new SmtpEmail(_relay.Options("relay"));

        var accepted = await smtp.Send(new OutboundMessage(Channel.Email, "ravi@example.in", "आपकी रिपोर्ट तैयार है।", "रिपोर्ट", "ntf_1"));

        Assert.Equal(DeliveryState.Sent, accepted.State); // no receipts come from SMTP: the relay's 250 is the last word
        var received = Assert.Single(_relay.Received);
        Assert.Equal("ravi@example.in", received.ToAddresses.Single().Address);
        Assert.Contains("ntf_1", accepted.ProviderMessageId);
        Assert.False(smtp.SendsReceipts);
    }

    [Fact]
    public async Task Unreachable_relay_is_surely_not_taken()
    {
        var options = _relay.Options("relay");
        _relay.Dispose();
        var smtp = new SmtpEmail(new SmtpOptions { Account = "relay", Host = options.Host, Port = options.Port, Security = options.Security, FromEmail = options.FromEmail });

        var refused = await Assert.ThrowsAsync<ExternalSystemException>(() => smtp.Send(new OutboundMessage(Channel.Email, "a@example.com", "x", "y", "ntf_2")));

        Assert.Equal(ExternalFailure.Unavailable, refused.Kind);
    }
}

public sealed class HttpSmsGatewayTests : IDisposable
{
    readonly WireMockServer _gateway = WireMockServer.Start();
    readonly HttpClient _http = new();

    public void Dispose()
    {
        _gateway.Stop();
        _gateway.Dispose();
        _http.Dispose();
    }

    HttpSmsGateway Gateway(string? marker = null, string? idPath = "data.id") => new(new HttpSmsOptions
    {
        Account = "aggregator",
        UrlTemplate = _gateway.Url + "/api/send?to={{ to_national }}&msg={{ text | url_encode }}&ref={{ reference }}",
        Method = "GET",
        Headers = new Dictionary<string, string> { ["X-Api-Key"] = "k" },
        MessageIdPath = idPath,
        SuccessMarker = marker,
    }, _http);

    [Fact]
    public async Task Request_is_made_from_the_templates_with_values_encoded()
    {
        _gateway.Given(Request.Create().WithPath("/api/send").UsingGet()).RespondWith(Response.Create().WithStatusCode(200).WithBody("""{"status":"OK","data":{"id":"AGG-77"}}"""));

        var accepted = await Gateway(marker: "\"OK\"").Send(new OutboundMessage(Channel.Sms, "+923001234567", "آپ کی رسید & 100%", null, "ntf_3"));

        Assert.Equal(("AGG-77", DeliveryState.Sent), (accepted.ProviderMessageId, accepted.State));
        var request = Assert.Single(_gateway.LogEntries).RequestMessage;
        Assert.Equal("923001234567", request.Query!["to"].Single());
        Assert.Equal("آپ کی رسید & 100%", request.Query["msg"].Single()); // encoded on the way, intact on arrival
        Assert.Equal("k", request.Headers!["X-Api-Key"].Single());
    }

    [Theory]
    [InlineData(200, """{"status":"ERROR","data":{}}""", ExternalFailure.Invalid)]
    [InlineData(503, "", ExternalFailure.Unavailable)]
    [InlineData(401, "", ExternalFailure.Unauthorized)]
    public async Task An_answer_that_does_not_say_taken_is_a_failure_of_its_kind(int status, string body, ExternalFailure kind)
    {
        _gateway.Given(Request.Create().WithPath("/api/send")).RespondWith(Response.Create().WithStatusCode(status).WithBody(body));

        var failed = await Assert.ThrowsAsync<ExternalSystemException>(() => Gateway(marker: "\"OK\"").Send(new OutboundMessage(Channel.Sms, "+923001234567", "x", null, "ntf_4")));

        Assert.Equal(kind, failed.Kind);
    }

    [Fact]
    public void A_template_that_does_not_parse_is_refused_when_configured() =>
        Assert.Throws<ArgumentException>(() => new HttpSmsGateway(new HttpSmsOptions { Account = "a", UrlTemplate = "{{ to" }, _http));
}
