using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Clinical.Hl7v2;
using IntegrationHub.Contracts.Clinical.Events;
using IntegrationHub.Hosting;
using IntegrationHub.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Clinical.Tests;

/// <summary>
/// From an accepted HL7 v2 message to the clinical event a subscriber hears, on every infrastructure: one event per
/// source message, carrying the department, the source, the patient's identifiers and the FHIR Bundle, in an order a
/// subscriber can rely on.
/// </summary>
public abstract class ClinicalEventsContract<TInfrastructure>(TInfrastructure infrastructure) : IClassFixture<TInfrastructure>, IAsyncLifetime
    where TInfrastructure : class, IHubInfrastructure
{
    const string Department = "health";
    readonly MessageRecorder _recorder = new();
    readonly string _subscriber = Names.UniqueEndpoint("ClinicalSubscriber");
    HubTestHost _host = null!;
    Hl7v2Intake _intake = null!;

    static readonly Type[] EventTypes =
    [
        typeof(PatientRegistered), typeof(PatientUpdated), typeof(EncounterStarted), typeof(EncounterEnded), typeof(AppointmentBooked),
        typeof(AppointmentChanged), typeof(AppointmentCancelled), typeof(ResultsReady), typeof(ImmunizationRecorded),
    ];

    public async Task InitializeAsync()
    {
        var settings = infrastructure.Settings();
        settings[$"Hub:Departments:{Department}:RequestsPerMinute"] = "1000";
        settings[$"Hub:Clinical:Hl7v2:Departments:{Department}:Senders:0"] = "*^CITYHOSP";
        settings["Hub:Clinical:Maps:IdentifierSystems:NADRA"] = "https://nadra.gov.pk/cnic";
        settings["Hub:Clinical:Maps:DefaultOffset"] = "+05:00";
        _host = await HubTestHost.Start(settings, new ClinicalEndpoint(),
            new TestEndpoint(_subscriber, e =>
            {
                e.Recording<PatientRegistered>(_recorder).Recording<PatientUpdated>(_recorder).Recording<EncounterStarted>(_recorder)
                    .Recording<EncounterEnded>(_recorder).Recording<AppointmentBooked>(_recorder).Recording<AppointmentChanged>(_recorder)
                    .Recording<AppointmentCancelled>(_recorder).Recording<ResultsReady>(_recorder).Recording<ImmunizationRecorded>(_recorder);
            }, EventTypes));
        _intake = _host.Services.GetRequiredService<Hl7v2Intake>();
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await infrastructure.CleanUp(HubEndpoint.QueueNameOf(_subscriber), "hub.clinical");
    }

    async Task Accept(string message)
    {
        var result = await _intake.Receive(new Hl7v2Source(Department, "mllp:test"), Encoding.UTF8.GetBytes(message), CancellationToken.None);
        Assert.Equal(Hl7v2IntakeOutcome.Accepted, result.Outcome);
    }

    async Task<T> Event<T>(string controlId) where T : ClinicalEvent =>
        (T)(await _recorder.WaitFor<T>(e => e.ControlId == controlId)).Message;

    static string Id() => Guid.NewGuid().ToString("N")[..16];

    static string Adt(string trigger, string controlId, string mrn, string when, string family = "KHAN", string pv1 = "PV1|1|O|OPD^^^CITYHOSP") =>
        string.Concat(new[]
        {
            $"MSH|^~\\&|ADTSYS|CITYHOSP|HUB|GOV|{when}||ADT^{trigger}^ADT_A01|{controlId}|P|2.5.1",
            $"EVN|{trigger}|{when}",
            $"PID|1||{mrn}^^^CITYHOSP^MR~35202-1234567-1^^^NADRA^NI||{family}^AYESHA^^^^^L||19870412|F",
            pv1,
        }.Select(s => s + "\r"));

    [Fact]
    public async Task Registered_patient_is_published_once_with_its_identifiers_and_FHIR_Patient()
    {
        var controlId = Id();
        await Accept(Adt("A04", controlId, "MRN-" + controlId, "20261202101500+0500"));

        var registered = await Event<PatientRegistered>(controlId);
        Assert.Equal((Department, "ADT^A04", "ADTSYS^CITYHOSP", true), (registered.Department, registered.MessageType, registered.Sender, registered.IsLatest));
        Assert.Contains(registered.Identifiers, i => i is { System: "https://nadra.gov.pk/cnic", Value: "35202-1234567-1", Type: "NI" });
        Assert.Equal(DateTimeOffset.Parse("2026-12-02T10:15:00+05:00").ToUnixTimeMilliseconds(), registered.Version);
        var bundle = JsonNode.Parse(registered.Bundle)!;
        Assert.Equal("message", (string?)bundle["type"]);
        var patient = bundle["entry"]!.AsArray().Select(e => e!["resource"]!).Single(r => (string?)r["resourceType"] == "Patient");
        Assert.Equal(registered.PatientId, (string?)patient["id"]);
        Assert.Equal("KHAN", (string?)patient["name"]![0]!["family"]);

        // Barrier: a later message's event has arrived, so a second event for the first one would have too.
        var barrier = Id();
        await Accept(Adt("A04", barrier, "MRN-" + barrier, "20261202101500+0500"));
        await Event<PatientRegistered>(barrier);
        Assert.Single(_recorder.OfType<PatientRegistered>(), e => e.ControlId == controlId);
    }

    public static TheoryData<string, string, Type> Triggers() => new()
    {
        { "A01", "PV1|1|I|W2^201^A^CITYHOSP", typeof(EncounterStarted) },
        { "A03", "PV1|1|I|W2^201^A^CITYHOSP||||||||||||||||V1|||||||||||||||||||||||||20261201080000+0500|20261202100000+0500", typeof(EncounterEnded) },
        { "A04", "PV1|1|O", typeof(PatientRegistered) },
        { "A08", "PV1|1|O", typeof(PatientUpdated) },
        { "A28", "PV1|1|N", typeof(PatientRegistered) },
        { "A31", "PV1|1|N", typeof(PatientUpdated) },
    };

    [Theory]
    [MemberData(nameof(Triggers))]
    public async Task Each_ADT_trigger_publishes_its_event(string trigger, string pv1, Type expected)
    {
        var controlId = Id();
        await Accept(Adt(trigger, controlId, "MRN-" + controlId, "20261202101500+0500", pv1: pv1));

        var received = await _recorder.WaitFor<ClinicalEvent>(e => e.ControlId == controlId);
        Assert.IsType(expected, received.Message);
    }

    [Fact]
    public async Task Results_appointments_and_immunizations_publish_their_events()
    {
        var (oru, siu, vxu) = (Id(), Id(), Id());
        await Accept(Hl7v2Messages.OruR01(oru));
        await Accept(string.Concat(new[]
        {
            $"MSH|^~\\&|SCHED|CITYHOSP|HUB|GOV|20261202110000+0500||SIU^S12^SIU_S12|{siu}|P|2.6",
            "SCH|APT-9^SCHED|APT-9^SCHED|||||CHECKUP^Routine checkup||||^^30^20261210090000+0500^20261210093000+0500||||||||||||||BOOKED",
            "PID|1||MRN-1001^^^CITYHOSP^MR||KHAN^AYESHA",
            "RGS|1",
        }.Select(s => s + "\r")));
        await Accept(string.Concat(new[]
        {
            $"MSH|^~\\&|EPI|CITYHOSP|HUB|GOV|20261202140000+0500||VXU^V04^VXU_V04|{vxu}|P|2.5.1",
            "PID|1||MRN-55^^^CITYHOSP^MR||BAIG^ZARA||20250101|F",
            "RXA|0|1|20261202133000+0500||08^HepB pediatric^CVX|0.5|mL^mL^UCUM||00^New immunization^NIP001||||||LOT-77|||||CP",
        }.Select(s => s + "\r")));

        var results = await Event<ResultsReady>(oru);
        Assert.Contains("\"DiagnosticReport\"", results.Bundle, StringComparison.Ordinal);
        Assert.Contains("\"Appointment\"", (await Event<AppointmentBooked>(siu)).Bundle, StringComparison.Ordinal);
        Assert.Contains("\"Immunization\"", (await Event<ImmunizationRecorded>(vxu)).Bundle, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_A08_handled_before_its_older_A04_keeps_the_newer_data()
    {
        var (registered, updated) = (Id(), Id());
        var mrn = "MRN-" + registered;
        // The A08 (10:30) is handed on first, its A04 (10:15) after it: the A04's event must not win.
        await Accept(Adt("A08", updated, mrn, "20261202103000+0500", family: "KHAN-RAZA"));
        var update = await Event<PatientUpdated>(updated);
        await Accept(Adt("A04", registered, mrn, "20261202101500+0500", family: "KHAN"));
        var registration = await Event<PatientRegistered>(registered);

        Assert.Equal(update.PatientId, registration.PatientId);
        Assert.True(update.IsLatest);
        Assert.False(registration.IsLatest);
        Assert.Equal("KHAN-RAZA", NewestFamilyName([update, registration]));
    }

    [Fact]
    public async Task Messages_about_one_patient_handled_concurrently_end_with_the_newest_data()
    {
        var mrn = "MRN-" + Id();
        var messages = Enumerable.Range(0, 12).Select(i => (ControlId: Id(), Family: $"FAMILY-{i:D2}",
            When: $"20261202{10 + i:D2}0000+0500")).ToList();
        await Task.WhenAll(messages.Select(m => Accept(Adt("A08", m.ControlId, mrn, m.When, family: m.Family))));

        var events = new List<PatientUpdated>();
        foreach (var m in messages) events.Add(await Event<PatientUpdated>(m.ControlId));

        Assert.Single(events.Select(e => e.PatientId).Distinct());
        Assert.True(events.Single(e => e.ControlId == messages[^1].ControlId).IsLatest, "the newest message is always the latest");
        Assert.Equal("FAMILY-11", NewestFamilyName(events));
    }

    /// <summary>What a subscriber keeping patient data ends with: it applies an event only when it is not older than what it holds.</summary>
    static string NewestFamilyName(IEnumerable<ClinicalEvent> arrivals)
    {
        var held = (Version: long.MinValue, Family: "");
        foreach (var e in arrivals)
        {
            if (e.Version < held.Version) continue;
            var patient = JsonNode.Parse(e.Bundle)!["entry"]!.AsArray().Select(x => x!["resource"]!).Single(r => (string?)r["resourceType"] == "Patient");
            held = (e.Version, (string)patient["name"]![0]!["family"]!);
        }
        return held.Family;
    }
}

public sealed class ClinicalEvents_InMemory(InMemoryInfrastructure infrastructure)
    : ClinicalEventsContract<InMemoryInfrastructure>(infrastructure);

public sealed class ClinicalEvents_RabbitMqPostgreSql(IsolatedDurableInfrastructure infrastructure)
    : ClinicalEventsContract<IsolatedDurableInfrastructure>(infrastructure);
