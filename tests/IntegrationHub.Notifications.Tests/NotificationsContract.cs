using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Adapters.Notifications;
using IntegrationHub.Adapters.Notifications.Simulator;
using IntegrationHub.Testing;

namespace IntegrationHub.Notifications.Tests;

/// <summary>
/// Notifications as a department sees them, in memory and on RabbitMQ + PostgreSQL: an Urdu SMS and an English e-mail
/// reaching delivered, invalid recipients reported and never sent, missing data refused before anything is sent,
/// failover, the unknown outcome both ways, receipts out of order and twice, forged receipts, template versions.
/// </summary>
public abstract class NotificationsContract<THub>(THub hub) : IClassFixture<THub> where THub : NotificationsHub
{
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    static int _templates;

    async Task<string> Template(string channel, string texts, string extra = "")
    {
        var id = $"tpl-{Interlocked.Increment(ref _templates)}-{Guid.NewGuid().ToString("N")[..6]}";
        var (response, body) = await hub.Post("/api/v1/notifications/templates", $$"""{"id":"{{id}}","channel":"{{channel}}","fallbackLanguage":"en","texts":{{texts}}{{extra}}}""");
        Assert.True(response.StatusCode == HttpStatusCode.Created, body?.ToJsonString());
        return id;
    }

    async Task<string> Send(string json, string? token = "")
    {
        var (response, body) = await hub.Post("/api/v1/notifications", json, token);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, body?.ToJsonString());
        return body!["id"]!.GetValue<string>();
    }

    async Task<JsonNode> Completed(string batchId, string? token = "")
    {
        JsonNode? status = null;
        await Eventually.Until(async () => (status = (await hub.Get($"/api/v1/notifications/{batchId}", token)).Body)?["status"]?.GetValue<string>() == "completed",
            Wait, $"request {batchId} completed");
        return status!;
    }

    async Task<JsonNode> Recipients(string batchId) => (await hub.Get($"/api/v1/notifications/{batchId}/recipients")).Body!;

    const string ReportSms = """{"en":{"body":"Dear {{ name }}, your report {{ report }} is ready."},"ur":{"body":"محترم {{ name }}، آپ کی رپورٹ {{ report }} تیار ہے۔"}}""";

    [Fact]
    public async Task An_urdu_sms_reaches_delivered()
    {
        var template = await Template("sms", ReportSms);

        var batch = await Send($$$"""{"channel":"sms","recipients":["0300 1234567"],"template":{"id":"{{{template}}}"},"language":"ur","data":{"name":"عائشہ","report":"LAB-0440"}}""");

        var status = await Completed(batch);
        Assert.Equal(1, status["result"]!["counts"]!["delivered"]!.GetValue<int>());
        var sent = Assert.Single(hub.Twilio.Messages, m => m.Body.Contains("LAB-0440") && m.Body.Contains("عائشہ"));
        Assert.Equal("+923001234567", sent.To);
        Assert.Equal("محترم عائشہ، آپ کی رپورٹ LAB-0440 تیار ہے۔", sent.Body); // right to left, intact
        var recipient = Assert.Single((await Recipients(batch))["recipients"]!.AsArray())!;
        Assert.Equal(("delivered", "+92********67"), (recipient["state"]!.GetValue<string>(), recipient["to"]!.GetValue<string>()));
    }

    [Fact]
    public async Task An_english_email_reaches_delivered()
    {
        var template = await Template("email", """{"en":{"subject":"Receipt {{ number }}","body":"Your payment of {{ amount }} is received."}}""");
        var to = $"ayesha{Guid.NewGuid():N}@example.gov.pk";

        var batch = await Send($$$"""{"channel":"email","recipients":[{"to":"{{{to}}}","data":{"number":"R-7"}}],"template":{"id":"{{{template}}}"},"data":{"amount":"1500.00 PKR"}}""");

        await Completed(batch);
        var email = Assert.Single(hub.SendGrid.Emails, e => e.To == to);
        Assert.Equal(("Receipt R-7", "Your payment of 1500.00 PKR is received."), (email.Subject, email.Body));
        Assert.Equal("delivered", (await Recipients(batch))["recipients"]![0]!["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task Invalid_recipients_are_reported_and_never_sent()
    {
        var before = hub.Twilio.Messages.Count;

        var batch = await Send("""{"channel":"sms","recipients":["0300 7654321","12345","042 35761234","+92 301 2345678"],"content":{"body":"Clinic closed tomorrow."}}""");

        var status = await Completed(batch);
        Assert.Equal("2", status["recipients"]!.GetValue<string>());
        var invalid = JsonNode.Parse(status["invalid"]!.GetValue<string>())!.AsArray();
        Assert.Equal([1, 2], invalid.Select(i => i!["index"]!.GetValue<int>()));
        Assert.Equal(2, hub.Twilio.Messages.Count - before);
    }

    [Fact]
    public async Task Missing_template_data_refuses_the_request_before_anything_is_sent()
    {
        var template = await Template("sms", ReportSms);
        var before = hub.Twilio.Messages.Count;

        var (response, body) = await hub.Post("/api/v1/notifications", $$$"""{"channel":"sms","recipients":["0300 1234567"],"template":{"id":"{{{template}}}"},"data":{"name":"A"}}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("the data has no 'report'", body!["errors"]!["data"]!.AsArray().Select(e => e!.GetValue<string>()));
        Assert.Equal(before, hub.Twilio.Messages.Count);
    }

    [Fact]
    public async Task A_refusing_provider_hands_the_message_to_the_next_one()
    {
        var to = $"failover{Guid.NewGuid():N}@example.com";
        hub.SendGrid.Behaviour.RefuseNext(1);

        var batch = await Send($$$"""{"channel":"email","recipients":["{{{to}}}"],"content":{"body":"Hello","subject":"Hi"}}""");

        await Completed(batch);
        Assert.DoesNotContain(hub.SendGrid.Emails, e => e.To == to);
        Assert.Single(hub.Smtp.Received, m => m.ToAddresses.Any(a => a.Address == to));
        var recipient = (await Recipients(batch))["recipients"]![0]!;
        Assert.Equal(("sent", "t-smtp"), (recipient["state"]!.GetValue<string>(), recipient["provider"]!.GetValue<string>()));
    }

    [Fact]
    public async Task An_unknown_outcome_is_never_sent_again_for_a_normal_message()
    {
        var to = $"unknown{Guid.NewGuid():N}@example.com";
        hub.SendGrid.Behaviour.HangFor = TimeSpan.FromSeconds(3);
        hub.SendGrid.Behaviour.HangNext(1);

        var batch = await Send($$"""{"channel":"email","recipients":["{{to}}"],"content":{"body":"Hello","subject":"Hi"},"priority":"normal"}""");

        var status = await Completed(batch);
        Assert.Equal(1, status["result"]!["counts"]!["unknown"]!.GetValue<int>());
        Assert.DoesNotContain(hub.Smtp.Received, m => m.ToAddresses.Any(a => a.Address == to)); // not sent a second time
    }

    [Fact]
    public async Task A_critical_message_of_a_department_that_allows_it_is_sent_again_when_the_outcome_is_unknown()
    {
        var to = $"critical{Guid.NewGuid():N}@example.com";
        hub.SendGrid.Behaviour.HangFor = TimeSpan.FromSeconds(3);
        hub.SendGrid.Behaviour.HangNext(1);

        var batch = await Send($$"""{"channel":"email","recipients":["{{to}}"],"content":{"body":"Flood warning","subject":"Warning"},"priority":"critical"}""",
            hub.Token(NotificationsHub.Critical));

        await Completed(batch, hub.Token(NotificationsHub.Critical));
        Assert.Single(hub.Smtp.Received, m => m.ToAddresses.Any(a => a.Address == to)); // a possible duplicate, rather than a possible loss
    }

    [Theory]
    [InlineData(ReceiptMode.OutOfOrder)]
    [InlineData(ReceiptMode.Twice)]
    public async Task Receipts_out_of_order_or_twice_never_move_a_final_state_back(ReceiptMode mode)
    {
        var number = $"+92300{Random.Shared.Next(1000000, 9999999)}";
        hub.Twilio.Behaviour.Receipts = mode;
        try
        {
            var batch = await Send($$$"""{"channel":"sms","recipients":["{{{number}}}"],"content":{"body":"Appointment at 10:00"}}""");

            await Completed(batch);
            // Barrier: the simulator sends its receipts in order; once the last arrived, a later message's receipts come after.
            await Eventually.Until(async () => (await Recipients(batch))["recipients"]![0]!["state"]!.GetValue<string>() == "delivered", Wait, "delivered");
            var other = await Send("""{"channel":"sms","recipients":["0300 1111111"],"content":{"body":"barrier"}}""");
            await Completed(other);
            Assert.Equal("delivered", (await Recipients(batch))["recipients"]![0]!["state"]!.GetValue<string>());
        }
        finally
        {
            hub.Twilio.Behaviour.Receipts = ReceiptMode.InOrder;
        }
    }

    [Fact]
    public async Task A_forged_receipt_is_refused()
    {
        var url = new Uri(hub.Http.BaseAddress!, "api/v1/notifications/callbacks/twilio/t-twilio?ref=ntf_x_00000");
        var (form, _) = hub.Twilio.Callback(url, "SM1", "delivered", token: "not-the-auth-token");
        var (_, signature) = hub.Twilio.Callback(url, "SM1", "delivered", token: "not-the-auth-token");
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(form) };
        request.Headers.TryAddWithoutValidation(TwilioSignature.Header, signature);

        using var response = await hub.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_registered_templates_text_changes_only_with_a_new_registration()
    {
        var id = await Template("sms", """{"en":{"body":"OTP {{ code }}"}}""", ""","registrationId":"1107161234567890123","otp":true""");

        var (changed, _) = await hub.Post("/api/v1/notifications/templates", $$$"""{"id":"{{{id}}}","channel":"sms","fallbackLanguage":"en","texts":{"en":{"body":"Your OTP {{ code }}"}},"registrationId":"1107161234567890123"}""");
        var (registered, v2) = await hub.Post("/api/v1/notifications/templates", $$$"""{"id":"{{{id}}}","channel":"sms","fallbackLanguage":"en","texts":{"en":{"body":"Your OTP {{ code }}"}},"registrationId":"1107169999999999999"}""");

        Assert.Equal(HttpStatusCode.Conflict, changed.StatusCode);
        Assert.Equal((HttpStatusCode.Created, 2), (registered.StatusCode, v2!["version"]!.GetValue<int>()));
    }

    [Theory]
    [InlineData("""{"channel":"fax","recipients":["a"],"content":{"body":"x"}}""", "channel")]
    [InlineData("""{"channel":"sms","recipients":[],"content":{"body":"x"}}""", "recipients")]
    [InlineData("""{"channel":"sms","recipients":["0300 1234567"]}""", "template")]
    [InlineData("""{"channel":"email","recipients":["a@example.com"],"content":{"body":"x"}}""", "content.subject")]
    [InlineData("""{"channel":"sms","recipients":["0300 1234567"],"content":{"body":"x"},"priority":"urgent"}""", "priority")]
    public async Task A_bad_request_names_its_field(string json, string field)
    {
        var (response, body) = await hub.Post("/api/v1/notifications", json);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull(body!["errors"]![field]);
    }

    public static TheoryData<string, string, byte[]> HostileInputs => new()
    {
        { "/api/v1/notifications", "application/json", [.. Encoding.UTF8.GetBytes("{\"channel\":\"sms\",\"recipients\":[\""), 0xC3, 0x28, .. Encoding.UTF8.GetBytes("\"],\"content\":{\"body\":\"x\"}}")] },
        { "/api/v1/notifications", "application/json", Encoding.UTF8.GetBytes("{\"channel\":\"sms\",\"recipients\":[\"0300\\u00001234567\"],\"content\":{\"body\":\"a\\u0000b\"}}") },
        { "/api/v1/notifications", "application/json", Encoding.UTF8.GetBytes(new string('[', 10_000)) },
        { "/api/v1/notifications/templates", "application/json", Encoding.UTF8.GetBytes("{\"id\":\"x\",\"channel\":\"sms\",\"fallbackLanguage\":\"en\",\"texts\":{\"en\":{\"body\":\"{% for %}\"}}}") },
        { "/api/v1/notifications/callbacks/twilio/t-twilio", "application/x-www-form-urlencoded", [0x4D, 0x65, 0xC3, 0x28, 0x3D, 0x00] },
        { "/api/v1/notifications/callbacks/sendgrid/t-sendgrid", "application/json", Encoding.UTF8.GetBytes("[{\"sg_message_id\":1e999999}]") },
    };

    [Theory]
    [MemberData(nameof(HostileInputs))]
    public async Task Hostile_input_gets_a_clear_4xx_never_a_500(string path, string contentType, byte[] body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new(contentType);
        request.Headers.Authorization = new("Bearer", hub.Token());
        request.Headers.TryAddWithoutValidation(TwilioSignature.Header, "AAAA");
        request.Headers.TryAddWithoutValidation(SendGridSignature.SignatureHeader, "MEUCIQ");
        request.Headers.TryAddWithoutValidation(SendGridSignature.TimestampHeader, "99999999999999999999");

        using var response = await hub.Http.SendAsync(request);

        Assert.True((int)response.StatusCode is >= 400 and < 500, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public async Task A_huge_number_in_the_data_is_text_not_a_number()
    {
        var batch = await Send("""{"channel":"sms","recipients":["0300 3333333"],"content":{"body":"Code {{ n }}"},"data":{"n":1e999999}}""");

        await Completed(batch);
        Assert.Contains(hub.Twilio.Messages, m => m.Body == "Code 1e999999");
    }

    [Fact]
    public async Task Another_departments_request_is_not_found()
    {
        var batch = await Send("""{"channel":"sms","recipients":["0300 2222222"],"content":{"body":"x"}}""");

        Assert.Equal(HttpStatusCode.NotFound, (await hub.Get($"/api/v1/notifications/{batch}", hub.Token(NotificationsHub.Other))).Response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await hub.Get($"/api/v1/notifications/{batch}/recipients", hub.Token(NotificationsHub.Other))).Response.StatusCode);
    }
}

public sealed class InMemoryNotificationsContract(InMemoryNotificationsHub hub) : NotificationsContract<InMemoryNotificationsHub>(hub);

public sealed class DurableNotificationsContract(DurableNotificationsHub hub) : NotificationsContract<DurableNotificationsHub>(hub);
