using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Clinical.Hl7v2;
using IntegrationHub.Clinical.Routes;
using IntegrationHub.Contracts.Clinical.Events;
using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Departments;
using IntegrationHub.Testing;
using Microsoft.Extensions.DependencyInjection;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace IntegrationHub.Clinical.Tests;

/// <summary>
/// A department's FHIR route against a FHIR server simulator (WireMock, after FHIR R4's RESTful API: search, transaction,
/// conditional update, versioned update with If-Match): what is written, in what order, and what is retried.
/// </summary>
public abstract class FhirRouteContract<TInfrastructure>(TInfrastructure infrastructure) : IClassFixture<TInfrastructure>, IAsyncLifetime
    where TInfrastructure : class, IHubInfrastructure
{
    const string Department = "health";
    const int MaxAttempts = 4;
    readonly string _errorQueue = "hub.error." + Guid.NewGuid().ToString("N")[..8];
    readonly MessageRecorder _recorder = new();
    readonly string _subscriber = Names.UniqueEndpoint("FhirRouteSubscriber");
    readonly WireMockServer _fhir = WireMockServer.Start();
    HubTestHost _host = null!;
    Hl7v2Intake _intake = null!;

    public async Task InitializeAsync()
    {
        var settings = infrastructure.Settings();
        settings["Hub:ErrorQueue"] = _errorQueue;
        settings["Hub:Retries:ImmediateAttempts"] = "2";
        settings["Hub:Retries:Delays:0"] = "00:00:00.100";
        settings["Hub:Retries:Delays:1"] = "00:00:00.100";
        settings[$"Hub:Departments:{Department}:RequestsPerMinute"] = "1000";
        settings[$"Hub:Clinical:Hl7v2:Departments:{Department}:Senders:0"] = "*^CITYHOSP";
        settings[$"Hub:Clinical:Routes:{Department}:FhirServer"] = _fhir.Url + "/fhir";
        settings[$"Hub:Clinical:Routes:{Department}:FhirBearerToken"] = "test-token";
        settings["Hub:Clinical:Deliveries:MaxAttempts"] = MaxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Hub:Clinical:Deliveries:FirstRetryDelay"] = "00:00:00.100";
        settings["Hub:Clinical:Deliveries:MaxRetryDelay"] = "00:00:00.200";
        _host = await HubTestHost.Start(settings, new ClinicalEndpoint(),
            new TestEndpoint(_subscriber, e => e.Recording<FhirBundleDelivered>(_recorder).Recording<FhirBundleDeliveryFailed>(_recorder),
                typeof(FhirBundleDelivered), typeof(FhirBundleDeliveryFailed)));
        _intake = _host.Services.GetRequiredService<Hl7v2Intake>();
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _fhir.Stop();
        await infrastructure.CleanUp(HubEndpoint.QueueNameOf(_subscriber), "hub.clinical", _errorQueue);
    }

    static string Id() => Guid.NewGuid().ToString("N")[..12];

    async Task Accept(string trigger, string controlId, string mrn, string when, string family)
    {
        var message = string.Concat(new[]
        {
            $"MSH|^~\\&|ADTSYS|CITYHOSP|HUB|GOV|{when}||ADT^{trigger}^ADT_A01|{controlId}|P|2.5.1",
            $"EVN|{trigger}|{when}",
            $"PID|1||{mrn}^^^CITYHOSP^MR||{family}^AYESHA||19870412|F",
            "PV1|1|O",
        }.Select(s => s + "\r"));
        var result = await _intake.Receive(new Hl7v2Source(Department, "mllp:test"), Encoding.UTF8.GetBytes(message), CancellationToken.None);
        Assert.Equal(Hl7v2IntakeOutcome.Accepted, result.Outcome);
    }

    void NoPatientOnTheServer() =>
        _fhir.Given(Request.Create().WithPath("/fhir/Patient").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/fhir+json")
                .WithBody("""{"resourceType":"Bundle","type":"searchset","total":0}"""));

    void ServerHolds(string family, long version, string versionId = "3") =>
        _fhir.Given(Request.Create().WithPath("/fhir/Patient").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/fhir+json").WithBody($$$"""
                {"resourceType":"Bundle","type":"searchset","total":1,"entry":[{"resource":{"resourceType":"Patient","id":"srv-1",
                 "meta":{"versionId":"{{{versionId}}}"},"extension":[{"url":"{{{FhirRouteHandler.VersionExtension}}}","valueDecimal":{{{version}}}}],
                 "name":[{"family":"{{{family}}}"}]}}]}
                """));

    void TransactionAnswers(int status, string? scenario = null, string? state = null, string? next = null)
    {
        var request = _fhir.Given(Request.Create().WithPath("/fhir").UsingPost());
        if (scenario is not null)
        {
            request = request.InScenario(scenario);
            if (state is not null) request = request.WhenStateIs(state);
            if (next is not null) request = request.WillSetStateTo(next);
        }
        request.RespondWith(Response.Create().WithStatusCode(status).WithHeader("Content-Type", "application/fhir+json")
            .WithBody("""{"resourceType":"Bundle","type":"transaction-response"}"""));
    }

    JsonNode[] Transactions() => [.. _fhir.LogEntries.Where(e => e.RequestMessage.Method == "POST" && e.RequestMessage.AbsolutePath == "/fhir")
        .Select(e => JsonNode.Parse(e.RequestMessage.Body!)!)];

    static JsonNode? PatientEntry(JsonNode transaction) =>
        transaction["entry"]!.AsArray().FirstOrDefault(e => (string?)e!["resource"]!["resourceType"] == "Patient");

    [Fact]
    public async Task A_new_patient_is_written_by_a_conditional_update_on_its_identifier_in_one_transaction()
    {
        NoPatientOnTheServer();
        TransactionAnswers(200);
        var controlId = Id();

        await Accept("A04", controlId, "MRN-" + controlId, "20261202101500+0500", "KHAN");

        var delivered = (FhirBundleDelivered)(await _recorder.WaitFor<FhirBundleDelivered>()).Message;
        Assert.False(delivered.PatientKept);
        var transaction = Assert.Single(Transactions());
        Assert.Equal("transaction", (string?)transaction["type"]);
        var patient = PatientEntry(transaction)!;
        Assert.Equal(("POST", "Patient"), ((string?)patient["request"]!["method"], (string?)patient["request"]!["url"]));
        Assert.Equal($"identifier=urn%3Ahl7v2%3Aauthority%3ACITYHOSP%7CMRN-{controlId}", (string?)patient["request"]!["ifNoneExist"]);
        Assert.DoesNotContain(transaction["entry"]!.AsArray(), e => (string?)e!["resource"]!["resourceType"] == "MessageHeader");
        Assert.All(_fhir.LogEntries, e => Assert.Equal("Bearer test-token", e.RequestMessage.Headers!["Authorization"].Single()));
    }

    [Fact]
    public async Task A_late_older_message_leaves_the_newer_patient_on_the_server_as_it_is()
    {
        // The server already holds what the 10:30 A08 said; the 10:15 A04 arrives now.
        ServerHolds("KHAN-RAZA", DateTimeOffset.Parse("2026-12-02T10:30:00+05:00").ToUnixTimeMilliseconds());
        TransactionAnswers(200);
        var controlId = Id();

        await Accept("A04", controlId, "MRN-" + controlId, "20261202101500+0500", "KHAN");

        var delivered = (FhirBundleDelivered)(await _recorder.WaitFor<FhirBundleDelivered>()).Message;
        Assert.True(delivered.PatientKept);
        var transaction = Assert.Single(Transactions());
        Assert.Null(PatientEntry(transaction));
        var encounter = transaction["entry"]!.AsArray().Single(e => (string?)e!["resource"]!["resourceType"] == "Encounter")!;
        Assert.Equal("Patient/srv-1", (string?)encounter["resource"]!["subject"]!["reference"]);
    }

    [Fact]
    public async Task A_result_refers_to_the_servers_patient_and_does_not_rewrite_it()
    {
        ServerHolds("KHAN-RAZA", DateTimeOffset.Parse("2026-12-01T09:00:00+05:00").ToUnixTimeMilliseconds());
        TransactionAnswers(200);

        var result = await _intake.Receive(new Hl7v2Source(Department, "mllp:test"), Encoding.UTF8.GetBytes(Hl7v2Messages.OruR01(Id())), CancellationToken.None);
        Assert.Equal(Hl7v2IntakeOutcome.Accepted, result.Outcome);

        Assert.True(((FhirBundleDelivered)(await _recorder.WaitFor<FhirBundleDelivered>()).Message).PatientKept);
        var transaction = Assert.Single(Transactions());
        Assert.Null(PatientEntry(transaction));
        var report = transaction["entry"]!.AsArray().Single(e => (string?)e!["resource"]!["resourceType"] == "DiagnosticReport")!;
        Assert.Equal("Patient/srv-1", (string?)report["resource"]!["subject"]!["reference"]);
    }

    [Fact]
    public async Task A_newer_message_updates_the_servers_patient_only_if_it_did_not_change_since_it_was_read()
    {
        ServerHolds("KHAN", DateTimeOffset.Parse("2026-12-02T10:15:00+05:00").ToUnixTimeMilliseconds(), versionId: "7");
        TransactionAnswers(200);
        var controlId = Id();

        await Accept("A08", controlId, "MRN-" + controlId, "20261202103000+0500", "KHAN-RAZA");

        await _recorder.WaitFor<FhirBundleDelivered>();
        var patient = PatientEntry(Assert.Single(Transactions()))!;
        Assert.Equal(("Patient/srv-1", "W/\"7\""), ((string?)patient["request"]!["url"], (string?)patient["request"]!["ifMatch"]));
        Assert.Equal("KHAN-RAZA", (string?)patient["resource"]!["name"]![0]!["family"]);
    }

    [Fact]
    public async Task A_patient_another_delivery_created_meanwhile_is_read_again_and_updated_by_version()
    {
        // The search finds nothing; by the write, another delivery has created the Patient (the conditional create answers 200).
        _fhir.Given(Request.Create().WithPath("/fhir/Patient").UsingGet()).InScenario("race").WillSetStateTo("created")
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/fhir+json")
                .WithBody("""{"resourceType":"Bundle","type":"searchset","total":0}"""));
        _fhir.Given(Request.Create().WithPath("/fhir/Patient").UsingGet()).InScenario("race").WhenStateIs("created")
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/fhir+json").WithBody($$$"""
                {"resourceType":"Bundle","type":"searchset","total":1,"entry":[{"resource":{"resourceType":"Patient","id":"srv-9",
                 "meta":{"versionId":"1"},"extension":[{"url":"{{{FhirRouteHandler.VersionExtension}}}","valueDecimal":1}]}}]}
                """));
        var existed = string.Join(",", Enumerable.Repeat("""{"response":{"status":"200 OK"}}""", 12));
        _fhir.Given(Request.Create().WithPath("/fhir").UsingPost()).InScenario("write").WillSetStateTo("again")
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/fhir+json")
                .WithBody($$"""{"resourceType":"Bundle","type":"transaction-response","entry":[{{existed}}]}"""));
        _fhir.Given(Request.Create().WithPath("/fhir").UsingPost()).InScenario("write").WhenStateIs("again")
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/fhir+json")
                .WithBody("""{"resourceType":"Bundle","type":"transaction-response"}"""));
        var controlId = Id();

        await Accept("A08", controlId, "MRN-" + controlId, "20261202103000+0500", "KHAN-RAZA");

        await _recorder.WaitFor<FhirBundleDelivered>();
        var writes = Transactions();
        Assert.Equal(2, writes.Length);
        var second = PatientEntry(writes[1])!;
        Assert.Equal(("Patient/srv-9", "W/\"1\""), ((string?)second["request"]!["url"], (string?)second["request"]!["ifMatch"]));
    }

    [Theory]
    [InlineData(412)]
    [InlineData(503)]
    public async Task A_refusal_that_may_pass_later_is_tried_again_until_it_is_written(int status)
    {
        NoPatientOnTheServer();
        TransactionAnswers(status, "flaky", next: "second");
        TransactionAnswers(status, "flaky", "second", "third");
        TransactionAnswers(200, "flaky", "third");
        var controlId = Id();

        await Accept("A04", controlId, "MRN-" + controlId, "20261202101500+0500", "KHAN");

        await _recorder.WaitFor<FhirBundleDelivered>();
        Assert.Equal(3, Transactions().Length);
    }

    [Fact]
    public async Task A_refusal_that_will_not_pass_fails_the_delivery_at_once_and_says_why_without_the_data()
    {
        NoPatientOnTheServer();
        TransactionAnswers(400);
        var controlId = Id();

        await Accept("A04", controlId, "MRN-" + controlId, "20261202101500+0500", "KHAN");

        var failed = (FhirBundleDeliveryFailed)(await _recorder.WaitFor<FhirBundleDeliveryFailed>()).Message;
        Assert.Contains("transaction answered 400", failed.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("KHAN", failed.Reason, StringComparison.Ordinal);
        Assert.Equal(1, failed.Attempts);
        Assert.Single(Transactions());
        var status = await EndedStatus(failed.DeliveryId);
        Assert.Equal(ClinicalDelivery.Failed, status.Status);
        Assert.Equal(["accepted", "failed"], status.Timeline.Select(t => t.Step));
        Assert.Equal(failed.Reason, status.Error);
    }

    [Fact]
    public async Task A_server_that_keeps_failing_is_tried_as_often_as_configured_then_the_delivery_fails()
    {
        NoPatientOnTheServer();
        TransactionAnswers(503);
        var controlId = Id();

        await Accept("A04", controlId, "MRN-" + controlId, "20261202101500+0500", "KHAN");

        var failed = (FhirBundleDeliveryFailed)(await _recorder.WaitFor<FhirBundleDeliveryFailed>()).Message;
        Assert.Equal(MaxAttempts, failed.Attempts);
        Assert.Contains("503", failed.Reason, StringComparison.Ordinal);
        Assert.Equal(MaxAttempts, Transactions().Length);
        var status = await EndedStatus(failed.DeliveryId);
        Assert.Equal([.. new[] { "accepted" }, .. Enumerable.Range(1, MaxAttempts - 1).Select(n => $"attempt {n} failed"), "failed"],
            status.Timeline.Select(t => t.Step));
        Assert.Empty(_recorder.OfType<FhirBundleDelivered>());
    }

    /// <summary>The delivery's status once it ended (the saga moves it on just after the event it publishes).</summary>
    async Task<StatusResource> EndedStatus(string deliveryId)
    {
        var clinical = _host.Services.GetRequiredKeyedService<EndpointRuntime>(ClinicalEndpoint.EndpointName);
        StatusResource? status = null;
        await Eventually.Until(async () =>
        {
            status = await clinical.Status.Find(ClinicalDelivery.Kind, Department, deliveryId);
            return status is not null && ClinicalDelivery.Kind.IsFinal(status.Status);
        }, TimeSpan.FromSeconds(30), $"delivery {deliveryId} ended");
        return status!;
    }
}

public sealed class FhirRoute_InMemory(InMemoryInfrastructure infrastructure)
    : FhirRouteContract<InMemoryInfrastructure>(infrastructure);

public sealed class FhirRoute_RabbitMqPostgreSql(IsolatedDurableInfrastructure infrastructure)
    : FhirRouteContract<IsolatedDurableInfrastructure>(infrastructure);
