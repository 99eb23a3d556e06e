using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using IntegrationHub.Testing;
using Xunit.Abstractions;

namespace IntegrationHub.EndToEnd.Tests;

/// <summary>
/// The README's embedded demo, as a newcomer runs it: the all-in-one host as a program (Development, in memory, with its
/// simulators), a token from hubctl with the host's default key file, a request posted as department <c>demo</c>, its
/// status and timeline, and the signed webhook the demo department's receiver got; then the clinical part (FHIR
/// $validate of the example patients, hubctl translate).
/// </summary>
public sealed class ReadmeDemoTests(ITestOutputHelper output) : IDisposable
{
    static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    readonly string _home = Directory.CreateTempSubdirectory("hub-readme-").FullName; // where ~/.integrationhub/dev-signing-key goes
    readonly int _port = FreePort();
    readonly int _mllpPort = FreePort(); // the README's 2575, unless another run holds it
    Process? _host;
    readonly StringBuilder _hostOutput = new();

    [Fact]
    public async Task Readme_demo_runs_on_the_embedded_host()
    {
        StartHost();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_port}") };
        await Eventually.Until(async () => await Ready(http), Patience, "the host answers /health/ready");

        var token = (await Hubctl("token", "--department", "demo", "--scope", "requests:write", "--scope", "requests:read")).Trim();
        using var post = new HttpRequestMessage(HttpMethod.Post, "/api/v1/requests")
        {
            Content = new StringContent("""{"service":"echo","payload":{"hello":"world"}}""", Encoding.UTF8, "application/json"),
        };
        post.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        post.Headers.Add("Idempotency-Key", "demo-1");
        using var accepted = await http.SendAsync(post);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var id = JsonDocument.Parse(await accepted.Content.ReadAsStringAsync()).RootElement.GetProperty("requestId").GetString()!;

        JsonElement status = default;
        await Eventually.Until(async () =>
        {
            using var get = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/requests/{id}");
            get.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await http.SendAsync(get);
            status = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
            return status.TryGetProperty("status", out var s) && s.GetString() == "completed";
        }, Patience, $"request {id} is completed");
        Assert.Equal(["accepted", "forwarding to provider", "provider accepted", "completed"],
            status.GetProperty("timeline").EnumerateArray().Select(t => t.GetProperty("step").GetString()));

        JsonElement webhook = default;
        await Eventually.Until(async () =>
        {
            var received = JsonDocument.Parse(await http.GetStringAsync("/dev/webhook-receiver")).RootElement.Clone();
            webhook = received.EnumerateArray().FirstOrDefault(w => w.GetProperty("body").GetProperty("subject").GetString() == id);
            return webhook.ValueKind == JsonValueKind.Object;
        }, Patience, "the demo department received the request's webhook");
        Assert.Equal("Valid", webhook.GetProperty("signature").GetString());
        Assert.Equal("request.completed", webhook.GetProperty("body").GetProperty("type").GetString());
    }

    /// <summary>The README's clinical part: $validate of the example patients with a clinical:read token, and hubctl translate of one.</summary>
    [Fact]
    public async Task Readme_clinical_demo_runs_on_the_embedded_host_and_logs_no_patient_data()
    {
        StartHost();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_port}") };
        await Eventually.Until(async () => await Ready(http), Patience, "the host answers /health/ready");
        var token = (await Hubctl("token", "--department", "demo", "--scope", "clinical:read")).Trim();

        async Task<JsonElement[]> Errors(string example)
        {
            using var post = new HttpRequestMessage(HttpMethod.Post, "/api/v1/fhir/$validate")
            {
                Content = new ByteArrayContent(File.ReadAllBytes(RepositoryFiles.PathOf("docs", "examples", "fhir", example))),
            };
            post.Content.Headers.ContentType = new MediaTypeHeaderValue("application/fhir+json");
            post.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await http.SendAsync(post);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var outcome = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
            Assert.Equal("OperationOutcome", outcome.GetProperty("resourceType").GetString());
            return outcome.TryGetProperty("issue", out var issues) ? issues.EnumerateArray().Where(i => i.GetProperty("severity").GetString() == "error").ToArray() : [];
        }

        Assert.Empty(await Errors("patient.json"));
        var errors = await Errors("patient-invalid.json");
        Assert.Contains(errors, e => e.GetProperty("expression")[0].GetString()!.StartsWith("Patient.gender", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.GetProperty("expression")[0].GetString()!.StartsWith("Patient.birthDate", StringComparison.Ordinal));

        var xml = await Hubctl("translate", "--from", "fhir", "--to", "fhir", "--format", "xml", RepositoryFiles.PathOf("docs", "examples", "fhir", "patient.json"));
        Assert.Contains("<birthDate value=\"1990-04-12\" />", xml);

        lock (_hostOutput)
            foreach (var personal in new[] { "Asha", "Ravi", "91-0000-0000-0001", "1990-04-12", "12/04/1990" })
                Assert.DoesNotContain(personal, _hostOutput.ToString());
    }

    /// <summary>
    /// The README's HL7 v2 part: an ADT over MLLP with hubctl (AA, and AA again when resent), one missing PV1 (AR naming
    /// it), an ORU over HTTP with a clinical:write token (200 with the AA), hubctl hl7 parse; no patient data in the logs.
    /// </summary>
    [Fact]
    public async Task Readme_hl7v2_demo_runs_on_the_embedded_host_and_logs_no_patient_data()
    {
        StartHost();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_port}") };
        await Eventually.Until(async () => await Ready(http), Patience, "the host answers /health/ready");
        var listener = $"127.0.0.1:{_mllpPort}";
        string Example(string name) => RepositoryFiles.PathOf("docs", "examples", "hl7v2", name);

        var ack = await Hubctl("hl7", "send", Example("adt-a04.hl7"), "--to", listener);
        Assert.Contains("MSA|AA|DEMO-ADT-0001", ack, StringComparison.Ordinal);
        Assert.Contains("MSA|AA|DEMO-ADT-0001", await Hubctl("hl7", "send", Example("adt-a04.hl7"), "--to", listener), StringComparison.Ordinal);

        var refused = await ProgramRun.Run(Dll("HubctlDll"), ["hl7", "send", Example("adt-a04-no-pv1.hl7"), "--to", listener],
            new Dictionary<string, string?> { ["HOME"] = _home }, Patience);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("MSA|AR|DEMO-ADT-0002", refused.Output, StringComparison.Ordinal);
        Assert.Contains("PV1", refused.Output, StringComparison.Ordinal);

        var token = (await Hubctl("token", "--department", "demo", "--scope", "clinical:write")).Trim();
        using var post = new HttpRequestMessage(HttpMethod.Post, "/api/v1/hl7v2") { Content = new ByteArrayContent(File.ReadAllBytes(Example("oru-r01.hl7"))) };
        post.Content.Headers.ContentType = new MediaTypeHeaderValue("x-application/hl7-v2+er7");
        post.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(post);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("MSA|AA|DEMO-LAB-0001", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        Assert.Contains("PID-5[2].1.1 = \"کھان\"", await Hubctl("hl7", "parse", Example("adt-a04.hl7")), StringComparison.Ordinal);

        // The ADT became a FHIR Patient and a patient.registered webhook, the ORU a results.ready one, each signed.
        JsonElement Webhook(JsonElement received, string type) =>
            received.EnumerateArray().First(w => w.GetProperty("event").GetString() == type);
        var webhooks = default(JsonElement);
        await Eventually.Until(async () =>
        {
            webhooks = JsonDocument.Parse(await http.GetStringAsync("/dev/webhook-receiver")).RootElement.Clone();
            return webhooks.EnumerateArray().Any(w => w.GetProperty("event").GetString() == "patient.registered")
                   && webhooks.EnumerateArray().Any(w => w.GetProperty("event").GetString() == "results.ready");
        }, Patience, "the patient.registered and results.ready webhooks at the demo receiver");
        var registered = Webhook(webhooks, "patient.registered");
        Assert.Equal("Valid", registered.GetProperty("signature").GetString());
        var data = registered.GetProperty("body").GetProperty("data");
        Assert.Equal("ADT^A04", data.GetProperty("messageType").GetString());
        var patient = data.GetProperty("bundle").GetProperty("entry").EnumerateArray().Select(e => e.GetProperty("resource"))
            .Single(r => r.GetProperty("resourceType").GetString() == "Patient");
        Assert.Equal(registered.GetProperty("body").GetProperty("subject").GetString(), patient.GetProperty("id").GetString());
        Assert.Single(webhooks.EnumerateArray(), w => w.GetProperty("event").GetString() == "patient.registered");
        Assert.Equal("Valid", Webhook(webhooks, "results.ready").GetProperty("signature").GetString());

        // …and the demo department's FHIR route wrote the Patient to the simulated FHIR server.
        var onServer = default(JsonElement);
        await Eventually.Until(async () =>
        {
            onServer = JsonDocument.Parse(await http.GetStringAsync("/dev/fhir/Patient?identifier=" +
                Uri.EscapeDataString("urn:hl7v2:authority:DEMO-HOSP|MRN-1001"))).RootElement.Clone();
            return onServer.GetProperty("total").GetInt32() > 0;
        }, Patience, "the demo Patient at the simulated FHIR server");
        var stored = onServer.GetProperty("entry")[0].GetProperty("resource");
        Assert.Equal("KHAN", stored.GetProperty("name")[0].GetProperty("family").GetString());
        Assert.Equal(1, onServer.GetProperty("total").GetInt32());

        // FHIR from the department reaches its (simulated) legacy system as HL7 v2, followed as a delivery.
        var deliverer = (await Hubctl("token", "--department", "demo", "--scope", "clinical:write", "--scope", "clinical:read")).Trim();
        using var deliver = new HttpRequestMessage(HttpMethod.Post, "/api/v1/clinical/deliveries?messageType=ADT^A04")
        {
            Content = new ByteArrayContent(File.ReadAllBytes(RepositoryFiles.PathOf("docs", "examples", "fhir", "patient.json"))),
        };
        deliver.Content.Headers.ContentType = new MediaTypeHeaderValue("application/fhir+json");
        deliver.Headers.Authorization = new AuthenticationHeaderValue("Bearer", deliverer);
        deliver.Headers.Add("Idempotency-Key", "demo-delivery-1");
        using var accepted = await http.SendAsync(deliver);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var statusUrl = JsonDocument.Parse(await accepted.Content.ReadAsStringAsync()).RootElement.GetProperty("statusUrl").GetString()!;
        var delivery = default(JsonElement);
        await Eventually.Until(async () =>
        {
            using var get = new HttpRequestMessage(HttpMethod.Get, statusUrl);
            get.Headers.Authorization = new AuthenticationHeaderValue("Bearer", deliverer);
            using var answer = await http.SendAsync(get);
            delivery = JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement.Clone();
            return delivery.TryGetProperty("status", out var s) && s.GetString() is "delivered" or "failed";
        }, Patience, "the FHIR → v2 delivery ended");
        Assert.Equal("delivered", delivery.GetProperty("status").GetString());
        var controlId = delivery.GetProperty("result").GetProperty("controlId").GetString();
        var legacy = JsonDocument.Parse(await http.GetStringAsync("/dev/hl7v2/received")).RootElement;
        var arrived = legacy.EnumerateArray().Single(m => m.GetProperty("controlId").GetString() == controlId);
        Assert.Equal("ADT^A04", arrived.GetProperty("messageType").GetString());
        Assert.Contains("91-0000-0000-0001", arrived.GetProperty("message").GetString(), StringComparison.Ordinal);
        // The demo route forwards the department's own v2 messages to that system as well.
        await Eventually.Until(async () => JsonDocument.Parse(await http.GetStringAsync("/dev/hl7v2/received")).RootElement.EnumerateArray()
            .Any(m => m.GetProperty("controlId").GetString() == "DEMO-ADT-0001"), Patience, "the demo ADT forwarded to the legacy system");

        var bundle = JsonDocument.Parse(await Hubctl("translate", "--from", "hl7v2", "--to", "fhir", "--offset", "+05:00", Example("oru-r01.hl7"))).RootElement;
        Assert.Contains(bundle.GetProperty("entry").EnumerateArray(), e => e.GetProperty("resource").GetProperty("resourceType").GetString() == "DiagnosticReport");

        lock (_hostOutput)
            foreach (var personal in new[] { "KHAN", "AYESHA", "کھان", "MRN-1001", "35202-1234567-1", "5550123", "Cholesterol", "91-0000-0000-0001" })
                Assert.DoesNotContain(personal, _hostOutput.ToString());
    }

    /// <summary>The README's ABDM part: hubctl abdm decrypts the example (fidelius-cli's published vector) and makes key material.</summary>
    [Fact]
    public async Task Readme_abdm_demo_decrypts_the_example_payload_and_makes_keys()
    {
        var decrypted = JsonDocument.Parse(await Hubctl("abdm", "decrypt", RepositoryFiles.PathOf("docs", "examples", "abdm", "fidelius-decrypt.json"))).RootElement;
        Assert.Equal("Wormtail should never have been Potter cottage's secret keeper.", decrypted.GetProperty("decryptedData").GetString());

        var keys = JsonDocument.Parse(await Hubctl("abdm", "keys")).RootElement;
        Assert.Equal(88, keys.GetProperty("publicKey").GetString()!.Length);
        Assert.Equal(412, keys.GetProperty("x509PublicKey").GetString()!.Length);
    }

    /// <summary>The README's ABDM conversation: discover → link → confirm through /dev/abdm, then the department's list and a HIP-initiated link.</summary>
    [Fact]
    public async Task Readme_abdm_conversation_links_the_demo_patient_and_logs_no_patient_data()
    {
        StartHost();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_port}") };
        await Eventually.Until(async () => await Ready(http), Patience, "the host answers /health/ready");

        async Task<JsonElement> Dev(string path, string body)
        {
            using var response = await http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        }

        var discovered = await Dev("/dev/abdm/discover", "{}");
        Assert.EndsWith("/on-discover", discovered.GetProperty("hubAnswered").GetString());
        Assert.False(discovered.GetProperty("answer").TryGetProperty("error", out _));
        var transaction = discovered.GetProperty("transactionId").GetString();
        var onInit = await Dev("/dev/abdm/link", $$"""{"transactionId":"{{transaction}}"}""");
        var linkRef = onInit.GetProperty("answer").GetProperty("link").GetProperty("referenceNumber").GetString();
        var onConfirm = await Dev("/dev/abdm/confirm", $$"""{"linkRefNumber":"{{linkRef}}"}""");
        Assert.False(onConfirm.GetProperty("answer").TryGetProperty("error", out _));

        var token = (await Hubctl("token", "--department", "demo", "--scope", "abdm:read", "--scope", "abdm:write")).Trim();
        JsonElement linked = default;
        await Eventually.Until(async () =>
        {
            using var get = new HttpRequestMessage(HttpMethod.Get, "/api/v1/abdm/care-contexts");
            get.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await http.SendAsync(get);
            linked = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
            return linked.ValueKind == JsonValueKind.Array && linked.GetArrayLength() == 2;
        }, Patience, "the demo patient's two care contexts listed as linked");
        Assert.All(linked.EnumerateArray(), row => Assert.Equal("patient", row.GetProperty("initiatedBy").GetString()));

        using var link = new HttpRequestMessage(HttpMethod.Post, "/api/v1/abdm/links")
        {
            Content = new StringContent("""
                {"abhaAddress":"asha.devi@sbx","patientReference":"DEMO-PAT-001","patientName":"Asha Devi","gender":"F","yearOfBirth":1985,
                 "careContexts":[{"referenceNumber":"IPD-2026-0007","display":"Admission 2026-11-20","hiType":"DischargeSummary"}]}
                """, Encoding.UTF8, "application/json"),
        };
        link.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        link.Headers.Add("Idempotency-Key", "demo-link-1");
        using var accepted = await http.SendAsync(link);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var statusUrl = JsonDocument.Parse(await accepted.Content.ReadAsStringAsync()).RootElement.GetProperty("statusUrl").GetString();
        await Eventually.Until(async () =>
        {
            using var get = new HttpRequestMessage(HttpMethod.Get, statusUrl);
            get.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await http.SendAsync(get);
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString() == "linked";
        }, Patience, "the HIP-initiated link is linked");

        string log;
        lock (_hostOutput) log = _hostOutput.ToString();
        foreach (var personal in new[] { "Asha", "98765", "43210", "asha.devi" })
            Assert.DoesNotContain(personal, log, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The README's payments demo: a bill paid through Stripe and through JazzCash's hosted form, receipts, a refund, the webhook.</summary>
    [Fact]
    public async Task Readme_payments_demo_pays_a_bill_with_each_gateway_and_issues_receipts()
    {
        StartHost();
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri($"http://127.0.0.1:{_port}") };
        await Eventually.Until(async () => await Ready(http), Patience, "the host answers /health/ready");
        var token = (await Hubctl("token", "--department", "demo", "--scope", "payments:read", "--scope", "payments:write")).Trim();

        async Task<(HttpStatusCode Status, JsonElement Body)> Send(HttpMethod method, string path, string? body = null, string? key = null, bool auth = true)
        {
            using var request = new HttpRequestMessage(method, path);
            if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
            if (auth) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            if (key is not null) request.Headers.Add("Idempotency-Key", key);
            using var response = await http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            return (response.StatusCode, text.StartsWith('{') || text.StartsWith('[') ? JsonDocument.Parse(text).RootElement.Clone() : default);
        }
        async Task<JsonElement> Until(string path, string status)
        {
            JsonElement last = default;
            await Eventually.Until(async () => (last = (await Send(HttpMethod.Get, path)).Body).GetProperty("status").GetString() == status, Patience, $"{path} {status}");
            return last;
        }
        const string Bill = """
            {"reference":"CHALLAN1001","currency":"PKR","payer":{"name":"Ayesha Khan"},
             "items":[{"description":"Driving licence renewal","amount":"1500.00"},{"description":"Late fee","amount":"200.00"}]}
            """;

        var (created, bill) = await Send(HttpMethod.Post, "/api/v1/bills", Bill, "demo-bill-1");
        Assert.Equal(HttpStatusCode.Created, created);
        Assert.Equal("1700.00", bill.GetProperty("outstanding").GetString());
        var (accepted, payment) = await Send(HttpMethod.Post, "/api/v1/payments", $$"""{"billId":"{{bill.GetProperty("id")}}","account":"demo-stripe"}""", "demo-pay-1");
        Assert.Equal(HttpStatusCode.Accepted, accepted);
        var stripe = payment.GetProperty("statusUrl").GetString()!;
        var awaiting = await Until(stripe, "awaiting-payment");
        Assert.Equal("stripe", awaiting.GetProperty("result").GetProperty("checkout").GetProperty("kind").GetString());
        var (paid, _) = await Send(HttpMethod.Post, $"/dev/payments/{payment.GetProperty("id")}/pay", """{"outcome":"paid"}""", auth: false);
        Assert.Equal(HttpStatusCode.OK, paid);
        await Until(stripe, "captured");
        var (_, receipt) = await Send(HttpMethod.Get, $"{stripe}/receipt");
        Assert.StartsWith("DEMO-", receipt.GetProperty("number").GetString());
        Assert.Equal("1700.00", receipt.GetProperty("amount").GetString());
        using (var page = new HttpRequestMessage(HttpMethod.Get, $"{stripe}/receipt.html?lang=ur"))
        {
            page.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var html = await http.SendAsync(page);
            var text = await html.Content.ReadAsStringAsync();
            Assert.Contains("dir=\"rtl\"", text);
            Assert.Contains("رسید", text);
        }

        var (_, again) = await Send(HttpMethod.Post, "/api/v1/bills", Bill);
        var (_, jazz) = await Send(HttpMethod.Post, "/api/v1/payments",
            $$"""{"billId":"{{again.GetProperty("id")}}","account":"demo-jazzcash","returnUrl":"http://127.0.0.1:{{_port}}/dev/payments/returned"}""");
        var jazzStatus = jazz.GetProperty("statusUrl").GetString()!;
        var form = await Until(jazzStatus, "awaiting-payment");
        Assert.Equal("form", form.GetProperty("result").GetProperty("checkout").GetProperty("kind").GetString());
        var (_, returned) = await Send(HttpMethod.Post, $"/dev/payments/{jazz.GetProperty("id")}/pay", "{}", auth: false);
        Assert.Equal(302, returned.GetProperty("returnPostAnswered").GetInt32());
        Assert.StartsWith($"http://127.0.0.1:{_port}/dev/payments/returned?paymentId=", returned.GetProperty("payerSentTo").GetString());
        var captured = await Until(jazzStatus, "captured");
        Assert.NotEqual(receipt.GetProperty("number").GetString(), captured.GetProperty("result").GetProperty("receiptNumber").GetString());

        var (refundAccepted, refund) = await Send(HttpMethod.Post, $"{jazzStatus}/refunds", """{"amount":"200.00","reason":"late fee waived"}""", "demo-refund-1");
        Assert.Equal(HttpStatusCode.Accepted, refundAccepted);
        await Until(refund.GetProperty("statusUrl").GetString()!, "completed");

        JsonElement received = default;
        await Eventually.Until(async () =>
        {
            received = JsonDocument.Parse(await http.GetStringAsync("/dev/webhook-receiver")).RootElement.Clone();
            var types = received.EnumerateArray().Select(w => w.GetProperty("event").GetString()).ToList();
            return types.Count(t => t == "payment.captured") >= 2 && types.Contains("refund.completed");
        }, Patience, "payment.captured twice and refund.completed at the demo webhook receiver");
        Assert.All(received.EnumerateArray().Where(w => w.GetProperty("event").GetString()!.StartsWith("payment.", StringComparison.Ordinal)),
            w => Assert.Equal("Valid", w.GetProperty("signature").GetString()));

        string log;
        lock (_hostOutput) log = _hostOutput.ToString();
        foreach (var secret in new[] { "Ayesha", "simulated-password", "simulated-salt", "sk_test_simulated" })
            Assert.DoesNotContain(secret, log, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The README's notifications demo: an Urdu SMS from a template and an English e-mail, both delivered; the batch webhooks.</summary>
    [Fact]
    public async Task Readme_notifications_demo_delivers_an_urdu_sms_and_an_english_email()
    {
        StartHost();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_port}") };
        await Eventually.Until(async () => await Ready(http), Patience, "the host answers /health/ready");
        var token = (await Hubctl("token", "--department", "demo", "--scope", "notifications:read", "--scope", "notifications:write")).Trim();
        async Task<(HttpStatusCode Status, JsonElement Body)> Send(HttpMethod method, string path, string? body = null)
        {
            using var request = new HttpRequestMessage(method, path);
            if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await http.SendAsync(request);
            return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
        }
        async Task Delivered(string batch, string provider)
        {
            JsonElement recipients = default;
            await Eventually.Until(async () => (recipients = (await Send(HttpMethod.Get, $"/api/v1/notifications/{batch}/recipients")).Body)
                .GetProperty("ended").GetInt32() == 1, Patience, $"{batch} ended");
            var recipient = recipients.GetProperty("recipients")[0];
            Assert.Equal(("delivered", provider), (recipient.GetProperty("state").GetString(), recipient.GetProperty("provider").GetString()));
        }

        var (saved, _) = await Send(HttpMethod.Post, "/api/v1/notifications/templates", """
            {"id":"report-ready","channel":"sms","fallbackLanguage":"en","maxSegments":2,"texts":{"en":{"body":"Dear {{ name }}, your report {{ report }} is ready."},
             "ur":{"body":"محترم {{ name }}، آپ کی رپورٹ {{ report }} تیار ہے۔"}}}
            """);
        Assert.Equal(HttpStatusCode.Created, saved);
        var (accepted, sms) = await Send(HttpMethod.Post, "/api/v1/notifications", """
            {"channel":"sms","recipients":["0300 1234567","12345"],"template":{"id":"report-ready"},"language":"ur","data":{"name":"عائشہ","report":"LAB-0440"}}
            """);
        Assert.Equal(HttpStatusCode.Accepted, accepted);
        Assert.Equal("1", sms.GetProperty("recipients").GetString());
        await Delivered(sms.GetProperty("id").GetString()!, "demo-twilio");
        var (_, email) = await Send(HttpMethod.Post, "/api/v1/notifications",
            """{"channel":"email","recipients":["ayesha@example.gov.pk"],"content":{"subject":"Your receipt","body":"Your payment of 1500.00 PKR is received."}}""");
        await Delivered(email.GetProperty("id").GetString()!, "demo-sendgrid");

        await Eventually.Until(async () => JsonDocument.Parse(await http.GetStringAsync("/dev/webhook-receiver")).RootElement.EnumerateArray()
            .Count(w => w.GetProperty("event").GetString() == "notification.batch-completed") >= 2, Patience, "two notification.batch-completed webhooks");
        string log;
        lock (_hostOutput) log = _hostOutput.ToString();
        foreach (var personal in new[] { "3001234567", "ayesha@", "عائشہ" })
            Assert.DoesNotContain(personal, log, StringComparison.OrdinalIgnoreCase);
    }

    void StartHost()
    {
        var start = ProgramRun.StartInfo(Dll("HostDll"));
        start.Environment["HOME"] = _home;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{_port}";
        start.Environment["Hub__PublicBaseUrl"] = $"http://127.0.0.1:{_port}";
        start.Environment[HostSettings.DemoMllpPortVariable] = _mllpPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _host = Process.Start(start)!;
        _host.OutputDataReceived += (_, e) => { lock (_hostOutput) _hostOutput.AppendLine(e.Data); };
        _host.ErrorDataReceived += (_, e) => { lock (_hostOutput) _hostOutput.AppendLine(e.Data); };
        _host.BeginOutputReadLine();
        _host.BeginErrorReadLine();
    }

    async Task<bool> Ready(HttpClient http)
    {
        if (_host!.HasExited) throw new InvalidOperationException($"The host exited with code {_host.ExitCode}");
        try
        {
            return (await http.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    async Task<string> Hubctl(params string[] args)
    {
        var run = await ProgramRun.Run(Dll("HubctlDll"), args, new Dictionary<string, string?> { ["HOME"] = _home }, Patience);
        Assert.True(run.ExitCode == 0, $"hubctl {string.Join(' ', args)} exited with {run.ExitCode}: {run.Error}");
        return run.Output;
    }

    static string Dll(string name) => BuiltPrograms.Dll(name) ?? throw new InvalidOperationException($"The test assembly names no {name}: see the test .csproj");

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        if (_host is { HasExited: false })
        {
            _host.Kill(entireProcessTree: true);
            _host.WaitForExit(10_000);
        }
        lock (_hostOutput) output.WriteLine(_hostOutput.ToString());
        _host?.Dispose();
        Directory.Delete(_home, recursive: true);
    }
}
