using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using IntegrationHub.Adapters.Hl7v2;
using IntegrationHub.Adapters.Mllp;
using IntegrationHub.Clinical.Routes;
using IntegrationHub.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace IntegrationHub.Clinical.Tests;

/// <summary>The Clinical endpoint with a legacy system (an MLLP listener) named as department <c>health</c>'s HL7 v2 destination.</summary>
public class DeliveriesFixture : ClinicalFixture
{
    public const string Archive = "archive";
    /// <summary>Its legacy system takes longer to ACK than a delivery's deadline.</summary>
    public const string Records = "records";
    /// <summary>Its legacy system is not there (a closed port): every attempt fails.</summary>
    public const string Lapsed = "lapsed";
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(1);

    public LegacySystem Legacy { get; } = new();
    public LegacySystem Slow { get; } = new() { Delay = Deadline * 3 };
    readonly MllpServer _server;
    readonly MllpServer _slow;
    readonly int _closedPort;

    public DeliveriesFixture()
    {
        _server = MllpServer.Start("legacy", new MllpServerOptions { Address = IPAddress.Loopback }, Legacy, NullLogger.Instance);
        _slow = MllpServer.Start("slow", new MllpServerOptions { Address = IPAddress.Loopback }, Slow, NullLogger.Instance);
        using var closed = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        _closedPort = ((IPEndPoint)closed.LocalEndpoint).Port;
    }

    protected override IWebHostBuilder Settings(IWebHostBuilder web)
    {
        foreach (var department in new[] { Archive, Records, Lapsed })
            web.UseSetting($"Hub:Departments:{department}:RequestsPerMinute", "100000");
        foreach (var (name, department, port) in new[] { ("his", Health, _server.Port), ("slow", Records, _slow.Port), ("gone", Lapsed, _closedPort) })
        {
            web.UseSetting($"Hub:Clinical:Hl7v2:Destinations:{name}:Host", "127.0.0.1")
                .UseSetting($"Hub:Clinical:Hl7v2:Destinations:{name}:Port", port.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .UseSetting($"Hub:Clinical:Hl7v2:Destinations:{name}:Department", department)
                .UseSetting($"Hub:Clinical:Hl7v2:Destinations:{name}:AckTimeout", "00:00:10")
                .UseSetting($"Hub:Clinical:Hl7v2:Destinations:{name}:MaxAttempts", "1")
                .UseSetting($"Hub:Clinical:Routes:{department}:Hl7v2Destination", name);
        }
        return web;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _server.DisposeAsync();
        await _slow.DisposeAsync();
    }
}

/// <summary>The same, with a one-second delivery deadline, shorter than the wait before a second attempt.</summary>
public sealed class DeadlineFixture : DeliveriesFixture
{
    protected override IWebHostBuilder Settings(IWebHostBuilder web) => base.Settings(web)
        .UseSetting("Hub:Clinical:Deliveries:Deadline", "00:00:01")
        .UseSetting("Hub:Clinical:Deliveries:FirstRetryDelay", "00:10:00");
}

/// <summary>
/// <c>POST /api/v1/clinical/deliveries</c>: FHIR from a department delivered as HL7 v2 to its legacy system, under the
/// department contract (202, a status resource, idempotency keys); <c>GET …/{id}</c> for its own deliveries only.
/// </summary>
public sealed class DeliveriesApiTests(DeliveriesFixture clinical) : IClassFixture<DeliveriesFixture>
{
    static readonly string Patient = ClinicalFixture.Example("patient.json");
    static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    string Writer(string department = ClinicalFixture.Health) => clinical.Token(department, ClinicalScopes.Write.Name);
    string Reader(string department = ClinicalFixture.Health) => clinical.Token(department, ClinicalScopes.Read.Name);

    Task<HttpResponseMessage> Deliver(string body, string query = "?messageType=ADT^A04", string? key = null, string? token = null,
        string contentType = "application/fhir+json")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, ClinicalDelivery.Route + query) { Content = new StringContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token ?? Writer());
        if (key is not null) request.Headers.Add("Idempotency-Key", key);
        return clinical.Http.SendAsync(request);
    }

    async Task<HttpResponseMessage> Status(string id, string? token = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{ClinicalDelivery.Route}/{Uri.EscapeDataString(id)}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token ?? Reader());
        return await clinical.Http.SendAsync(request);
    }

    async Task<JsonElement> Ended(string id, string department = ClinicalFixture.Health)
    {
        JsonElement status = default;
        await Eventually.Until(async () =>
        {
            using var response = await Status(id, Reader(department));
            status = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
            return status.TryGetProperty("status", out var s) && s.GetString() is ClinicalDelivery.Delivered or ClinicalDelivery.Failed;
        }, Patience, $"delivery {id} ended");
        return status;
    }

    static async Task<string> DeliveryId(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var id = body.GetProperty("deliveryId").GetString()!;
        Assert.Equal($"{ClinicalDelivery.Route}/{id}", response.Headers.Location?.OriginalString);
        return id;
    }

    [Fact]
    public async Task Fhir_posted_for_delivery_reaches_the_legacy_system_as_valid_v2_and_the_status_says_delivered()
    {
        using var accepted = await Deliver(Patient, key: "dlv-" + Guid.NewGuid().ToString("N"));
        var id = await DeliveryId(accepted);

        var status = await Ended(id);
        Assert.Equal(ClinicalDelivery.Delivered, status.GetProperty("status").GetString());
        Assert.Equal(["accepted", "delivered"], status.GetProperty("timeline").EnumerateArray().Select(t => t.GetProperty("step").GetString()));
        Assert.Equal(("hl7v2", "his"), (status.GetProperty("target").GetString(), status.GetProperty("destination").GetString()));
        Assert.Equal("AA", status.GetProperty("result").GetProperty("ackCode").GetString());

        var controlId = status.GetProperty("result").GetProperty("controlId").GetString()!;
        var parsed = Hl7Parser.Parse(clinical.Legacy.Bytes(controlId));
        Assert.Empty(parsed.Problems);
        var message = parsed.Message!;
        Assert.Equal(("ADT", "A04"), (message.Msh.MessageCode, message.Msh.TriggerEvent));
        Assert.Equal(1, clinical.Legacy.Received(controlId));
        var pid = message.All("PID").Single();
        Assert.Equal("91-0000-0000-0001", pid[3, 1]);
        Assert.Equal("Example", pid[5, 1]);
    }

    [Fact]
    public async Task The_same_idempotency_key_and_body_is_one_delivery_and_another_body_with_it_is_refused()
    {
        var key = "dlv-" + Guid.NewGuid().ToString("N");
        using var first = await Deliver(Patient, key: key);
        var id = await DeliveryId(first);
        await Ended(id);
        var received = clinical.Legacy.Total;

        using var again = await Deliver(Patient, key: key);
        Assert.Equal(id, await DeliveryId(again));
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());
        // Barrier: a new delivery after the replay ends, and only it reached the system.
        using var next = await Deliver(Patient, key: "dlv-" + Guid.NewGuid().ToString("N"));
        await Ended(await DeliveryId(next));
        Assert.Equal(received + 1, clinical.Legacy.Total);

        using var other = await Deliver(Patient.Replace("Asha", "Usha", StringComparison.Ordinal), key: key);
        await other.AssertProblem(HttpStatusCode.UnprocessableEntity, "different body");
    }

    [Fact]
    public async Task A_department_without_a_legacy_system_gets_409_naming_the_setting()
    {
        using var response = await Deliver(Patient, token: Writer(DeliveriesFixture.Archive));

        await response.AssertProblem(HttpStatusCode.Conflict, "Hl7v2Destination");
    }

    [Fact]
    public async Task Fhir_that_cannot_be_written_as_v2_gets_422_with_an_outcome()
    {
        using var response = await Deliver("""{ "resourceType": "Patient", "name": [ { "family": "Example" } ] }""");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains(await Issue.Of(response), i => i.IsError);
    }

    [Theory]
    [InlineData("{\"resourceType\":\"Patient\",\"id\":\"\u0000\"}")]
    [InlineData("{\"resourceType\":\"Patient\",\"birthDate\":\"1990-04-12\",\"multipleBirthInteger\":99999999999999999999999}")]
    [InlineData("not json at all")]
    public async Task Hostile_or_broken_bodies_get_a_4xx_never_a_500(string body)
    {
        using var response = await Deliver(body);

        Assert.InRange((int)response.StatusCode, 400, 499);
    }

    [Fact]
    public async Task Invalid_utf8_gets_a_400()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, ClinicalDelivery.Route)
        {
            Content = new ByteArrayContent([.. Encoding.UTF8.GetBytes("{\"resourceType\":\"Patient\",\"id\":\""), 0xC3, 0x28, .. "\"}"u8]),
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/fhir+json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Writer());

        using var response = await clinical.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Unknown_message_type_or_target_gets_a_400_problem()
    {
        using var type = await Deliver(Patient, "?messageType=ADT^A99");
        await type.AssertProblem(HttpStatusCode.BadRequest, "messageType");
        using var target = await Deliver(Patient, "?to=csv");
        await target.AssertProblem(HttpStatusCode.BadRequest, "hl7v2");
    }

    [Fact]
    public async Task Delivering_needs_clinical_write_and_reading_needs_clinical_read()
    {
        using var post = await Deliver(Patient, token: Reader());
        await post.AssertProblem(HttpStatusCode.Forbidden, ClinicalScopes.Write.Name);
        using var get = await Status("dlv_anything", Writer());
        await get.AssertProblem(HttpStatusCode.Forbidden, ClinicalScopes.Read.Name);
    }

    [Fact]
    public async Task Another_departments_delivery_is_not_found()
    {
        using var accepted = await Deliver(Patient);
        var id = await DeliveryId(accepted);

        using var response = await Status(id, Reader(DeliveriesFixture.Archive));

        await response.AssertProblem(HttpStatusCode.NotFound);
        await Ended(id);
    }
}

/// <summary>What a delivery's deadline ends, and what it leaves to the attempt under way.</summary>
public sealed class DeliveryDeadlineTests(DeadlineFixture clinical) : IClassFixture<DeadlineFixture>
{
    static readonly string Patient = ClinicalFixture.Example("patient.json");

    async Task<JsonElement> Ended(string department)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, ClinicalDelivery.Route + "?messageType=ADT^A04") { Content = new StringContent(Patient) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/fhir+json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", clinical.Token(department, ClinicalScopes.Write.Name));
        using var accepted = await clinical.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var id = JsonDocument.Parse(await accepted.Content.ReadAsStringAsync()).RootElement.GetProperty("deliveryId").GetString()!;
        JsonElement status = default;
        await Eventually.Until(async () =>
        {
            using var get = new HttpRequestMessage(HttpMethod.Get, $"{ClinicalDelivery.Route}/{id}");
            get.Headers.Authorization = new AuthenticationHeaderValue("Bearer", clinical.Token(department, ClinicalScopes.Read.Name));
            using var response = await clinical.Http.SendAsync(get);
            status = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
            return status.TryGetProperty("status", out var s) && s.GetString() is ClinicalDelivery.Delivered or ClinicalDelivery.Failed;
        }, TimeSpan.FromSeconds(30), $"delivery {id} ended");
        return status;
    }

    static string[] Steps(JsonElement status) => [.. status.GetProperty("timeline").EnumerateArray().Select(t => t.GetProperty("step").GetString()!)];

    [Fact]
    public async Task A_delivery_under_way_at_its_deadline_that_gets_through_ends_as_delivered_not_failed()
    {
        var status = await Ended(DeliveriesFixture.Records);

        Assert.Equal(ClinicalDelivery.Delivered, status.GetProperty("status").GetString());
        Assert.Equal(["accepted", "deadline passed", "delivered"], Steps(status));
        Assert.Equal(1, clinical.Slow.Received(status.GetProperty("result").GetProperty("controlId").GetString()!));
    }

    [Fact]
    public async Task A_delivery_whose_system_is_away_fails_at_its_deadline_and_says_why()
    {
        var status = await Ended(DeliveriesFixture.Lapsed);

        Assert.Equal(ClinicalDelivery.Failed, status.GetProperty("status").GetString());
        Assert.Equal(("accepted", "failed"), (Steps(status)[0], Steps(status)[^1]));
        var error = status.GetProperty("error").GetString()!;
        Assert.Contains("not delivered within 00:00:01 (1 attempt(s); the last failure: gone:", error, StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1", error, StringComparison.Ordinal);
    }
}
