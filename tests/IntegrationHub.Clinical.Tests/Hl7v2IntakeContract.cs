using System.Text;
using IntegrationHub.Clinical.Hl7v2;
using IntegrationHub.Contracts.Clinical.Events;
using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Persistence;
using IntegrationHub.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Clinical.Tests;

/// <summary>
/// The HL7 v2 intake on every infrastructure: what is ACKed AA is handed on once (an <see cref="Hl7v2MessageAccepted"/>
/// a subscriber receives), a resend of it is ACKed again and not handed on twice, and what is refused is answered AR
/// and handed on never.
/// </summary>
public abstract class Hl7v2IntakeContract<TInfrastructure>(TInfrastructure infrastructure) : IClassFixture<TInfrastructure>, IAsyncLifetime
    where TInfrastructure : class, IHubInfrastructure
{
    const string Department = "health";
    readonly MessageRecorder _recorder = new();
    readonly string _subscriber = Names.UniqueEndpoint("Hl7Subscriber");
    HubTestHost _host = null!;
    Hl7v2Intake _intake = null!;

    public async Task InitializeAsync()
    {
        var settings = infrastructure.Settings();
        settings[$"Hub:Departments:{Department}:RequestsPerMinute"] = "1000";
        settings[$"Hub:Departments:archive:RequestsPerMinute"] = "1000";
        settings[$"Hub:Clinical:Hl7v2:Departments:{Department}:Senders:0"] = $"{Hl7v2Messages.Application}^{Hl7v2Messages.Facility}";
        settings[$"Hub:Clinical:Hl7v2:Departments:{Department}:Senders:1"] = "LABSYS^*";
        settings["Hub:Clinical:Hl7v2:Departments:archive:Senders:0"] = "ARCHIVE^ARCHIVE";
        _host = await HubTestHost.Start(settings, new ClinicalEndpoint(),
            new TestEndpoint(_subscriber, e => e.Recording<Hl7v2MessageAccepted>(_recorder), typeof(Hl7v2MessageAccepted)));
        _intake = _host.Services.GetRequiredService<Hl7v2Intake>();
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await infrastructure.CleanUp(HubEndpoint.QueueNameOf(_subscriber), "hub.clinical");
    }

    Task<Hl7v2IntakeResult> Receive(string message, string department = Department, string channel = "mllp:test") =>
        _intake.Receive(new Hl7v2Source(department, channel), Encoding.UTF8.GetBytes(message), CancellationToken.None);

    /// <summary>A message accepted after the ones a test sent: once it arrives, anything they led to has arrived too.</summary>
    async Task Barrier()
    {
        var controlId = "BARRIER-" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal(Hl7v2IntakeOutcome.Accepted, (await Receive(Hl7v2Messages.OruR01(controlId))).Outcome);
        await _recorder.WaitFor<Hl7v2MessageAccepted>(m => m.ControlId == controlId);
    }

    [Fact]
    public async Task Accepted_message_is_acked_AA_and_handed_on_with_its_sender_and_type()
    {
        var controlId = Guid.NewGuid().ToString("N")[..20];
        var message = Hl7v2Messages.AdtA04(controlId);

        var result = await Receive(message);

        Assert.Equal(Hl7v2IntakeOutcome.Accepted, result.Outcome);
        var ack = Hl7v2Messages.Read(result.Ack);
        Assert.Equal(("AA", controlId), (ack.Code, ack.ControlId));
        var handedOn = (Hl7v2MessageAccepted)(await _recorder.WaitFor<Hl7v2MessageAccepted>(m => m.ControlId == controlId)).Message;
        Assert.Equal((Department, "mllp:test", Hl7v2Messages.Application, Hl7v2Messages.Facility, "ADT^A04", "2.5.1"),
            (handedOn.Department, handedOn.Channel, handedOn.SendingApplication, handedOn.SendingFacility, handedOn.MessageType, handedOn.Version));
        Assert.Equal(message, handedOn.Message);
    }

    [Fact]
    public async Task Resent_control_id_is_acked_again_and_not_handed_on_twice()
    {
        var controlId = Guid.NewGuid().ToString("N")[..20];
        var first = await Receive(Hl7v2Messages.AdtA04(controlId));
        var again = await Receive(Hl7v2Messages.AdtA04(controlId));
        await Barrier();

        Assert.Equal((Hl7v2IntakeOutcome.Accepted, Hl7v2IntakeOutcome.Duplicate), (first.Outcome, again.Outcome));
        Assert.Equal(("AA", controlId), (Hl7v2Messages.Read(again.Ack).Code, Hl7v2Messages.Read(again.Ack).ControlId));
        Assert.Single(_recorder.OfType<Hl7v2MessageAccepted>(), m => m.ControlId == controlId);
    }

    [Fact]
    public async Task Same_control_id_from_another_sender_is_another_message()
    {
        var controlId = Guid.NewGuid().ToString("N")[..20];
        var adt = await Receive(Hl7v2Messages.AdtA04(controlId));
        var lab = await Receive(Hl7v2Messages.OruR01(controlId, facility: "EASTLAB"));

        Assert.Equal((Hl7v2IntakeOutcome.Accepted, Hl7v2IntakeOutcome.Accepted), (adt.Outcome, lab.Outcome));
        await _recorder.WaitFor<Hl7v2MessageAccepted>(m => m.ControlId == controlId && m.SendingApplication == "LABSYS");
        await _recorder.WaitFor<Hl7v2MessageAccepted>(m => m.ControlId == controlId && m.SendingApplication == Hl7v2Messages.Application);
    }

    [Fact]
    public async Task Concurrent_resends_of_one_message_hand_it_on_once()
    {
        var controlId = Guid.NewGuid().ToString("N")[..20];
        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Receive(Hl7v2Messages.AdtA04(controlId))));
        await Barrier();

        Assert.All(results, r => Assert.Equal("AA", Hl7v2Messages.Read(r.Ack).Code));
        Assert.Single(results, r => r.Outcome == Hl7v2IntakeOutcome.Accepted);
        Assert.Single(_recorder.OfType<Hl7v2MessageAccepted>(), m => m.ControlId == controlId);
    }

    [Fact]
    public async Task Sender_not_allowed_for_the_department_gets_AR_and_nothing_is_handed_on()
    {
        var controlId = Guid.NewGuid().ToString("N")[..20];
        var stranger = await Receive(Hl7v2Messages.AdtA04(controlId, application: "ROGUE"));
        // Allowed for health, but the listener (or token) is another department's.
        var otherDepartment = await Receive(Hl7v2Messages.AdtA04(controlId + "X"), department: "archive");
        await Barrier();

        Assert.Equal(Hl7v2IntakeOutcome.Rejected, stranger.Outcome);
        Assert.Equal(("AR", controlId, "207"), (Hl7v2Messages.Read(stranger.Ack).Code, Hl7v2Messages.Read(stranger.Ack).ControlId, Hl7v2Messages.Read(stranger.Ack).Errors.Single()));
        Assert.Equal("AR", Hl7v2Messages.Read(otherDepartment.Ack).Code);
        Assert.DoesNotContain(_recorder.OfType<Hl7v2MessageAccepted>(), m => m.ControlId.StartsWith(controlId, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Missing_required_segment_gets_AR_100_naming_it()
    {
        var result = await Receive(Hl7v2Messages.AdtA04("NO-PV1", withPv1: false));

        var ack = Hl7v2Messages.Read(result.Ack);
        Assert.Equal(("AR", "100"), (ack.Code, ack.Errors.Single()));
        Assert.Contains("PV1", Encoding.UTF8.GetString(result.Ack!), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unsupported_type_gets_AR_200_and_unsupported_event_AR_201()
    {
        var type = await Receive(Hl7v2Messages.AdtA04("T1").Replace("ADT^A04^ADT_A01", "ZZZ^Z01", StringComparison.Ordinal));
        var trigger = await Receive(Hl7v2Messages.AdtA04("T2").Replace("ADT^A04^ADT_A01", "ADT^A99", StringComparison.Ordinal));

        Assert.Equal(("AR", "200"), (Hl7v2Messages.Read(type.Ack).Code, Hl7v2Messages.Read(type.Ack).Errors.Single()));
        Assert.Equal(("AR", "201"), (Hl7v2Messages.Read(trigger.Ack).Code, Hl7v2Messages.Read(trigger.Ack).Errors.Single()));
    }

    [Fact]
    public async Task Enhanced_mode_gets_a_commit_ACK_and_NE_gets_none_but_is_handed_on()
    {
        var always = Guid.NewGuid().ToString("N")[..20];
        var never = Guid.NewGuid().ToString("N")[..20];
        var al = await Receive(Hl7v2Messages.AdtA04(always, extraMsh: "|||AL|NE"));
        var ne = await Receive(Hl7v2Messages.AdtA04(never, extraMsh: "|||NE|NE"));

        Assert.Equal("CA", Hl7v2Messages.Read(al.Ack).Code);
        Assert.Equal((Hl7v2IntakeOutcome.Accepted, null), (ne.Outcome, ne.Ack));
        await _recorder.WaitFor<Hl7v2MessageAccepted>(m => m.ControlId == never);
    }

    [Fact]
    public async Task Storage_away_gets_AE_207_nothing_is_handed_on_and_the_resend_is_accepted()
    {
        var controlId = Guid.NewGuid().ToString("N")[..20];
        var failing = ActivatorUtilities.CreateInstance<Hl7v2Intake>(_host.Services, new UnavailableReceivedStore());

        var away = await failing.Receive(new Hl7v2Source(Department, "mllp:test"), Hl7v2Messages.Bytes(Hl7v2Messages.AdtA04(controlId)),
            CancellationToken.None);
        await Barrier();

        Assert.Equal(Hl7v2IntakeOutcome.Unavailable, away.Outcome);
        Assert.Equal(("AE", controlId, "207"), (Hl7v2Messages.Read(away.Ack).Code, Hl7v2Messages.Read(away.Ack).ControlId, Hl7v2Messages.Read(away.Ack).Errors.Single()));
        Assert.DoesNotContain(_recorder.OfType<Hl7v2MessageAccepted>(), m => m.ControlId == controlId);

        var resent = await Receive(Hl7v2Messages.AdtA04(controlId));
        Assert.Equal((Hl7v2IntakeOutcome.Accepted, "AA"), (resent.Outcome, Hl7v2Messages.Read(resent.Ack).Code));
        await _recorder.WaitFor<Hl7v2MessageAccepted>(m => m.ControlId == controlId);
    }

    [Fact]
    public async Task Bytes_with_no_MSH_get_no_ACK()
    {
        var result = await _intake.Receive(new Hl7v2Source(Department, "mllp:test"), new byte[] { 0xFF, 0x00, 0x41, 0x0D }, CancellationToken.None);

        Assert.Equal((Hl7v2IntakeOutcome.Unreadable, null), (result.Outcome, result.Ack));
    }

    [Fact]
    public async Task Latin1_message_declared_in_MSH18_is_handed_on_with_its_names_intact()
    {
        var controlId = Guid.NewGuid().ToString("N")[..20];
        var text = Hl7v2Messages.AdtA04(controlId, extraMsh: "||||||8859/1", family: "MÜLLER");
        var result = await _intake.Receive(new Hl7v2Source(Department, "mllp:test"), Encoding.Latin1.GetBytes(text), CancellationToken.None);

        Assert.Equal("AA", Hl7v2Messages.Read(result.Ack).Code);
        var handedOn = (Hl7v2MessageAccepted)(await _recorder.WaitFor<Hl7v2MessageAccepted>(m => m.ControlId == controlId)).Message;
        Assert.Contains("|MÜLLER^AYESHA", handedOn.Message, StringComparison.Ordinal);
        Assert.Equal("8859/1", handedOn.CharacterSet);
    }

    [Fact]
    public async Task A_key_past_the_duplicate_window_is_taken_again()
    {
        var controlId = Guid.NewGuid().ToString("N");
        var now = DateTimeOffset.UtcNow;

        Assert.True(await AddKey(controlId, now - 2 * Window));
        Assert.False(await AddKey(controlId, now - 2 * Window + TimeSpan.FromMinutes(1)));
        Assert.True(await AddKey(controlId, now));
        Assert.False(await AddKey(controlId, now + TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task Pruning_removes_keys_past_the_window_and_keeps_newer_ones()
    {
        var old = Guid.NewGuid().ToString("N");
        var recent = Guid.NewGuid().ToString("N");
        var now = DateTimeOffset.UtcNow;
        Assert.True(await AddKey(old, now - 3 * Window));
        Assert.True(await AddKey(recent, now));

        var store = _host.Services.GetRequiredService<IReceivedHl7v2Store>();
        while (await store.Prune(now - Window, 1000, CancellationToken.None) > 0)
        {
        }

        // Pruned: a resend a minute after the old one is new again. Kept: the recent one is still a duplicate.
        Assert.True(await AddKey(old, now - 3 * Window + TimeSpan.FromMinutes(1)));
        Assert.False(await AddKey(recent, now + TimeSpan.FromSeconds(1)));
    }

    TimeSpan Window => _host.Services.GetRequiredService<Hl7v2RetentionOptions>().DuplicateWindow;

    async Task<bool> AddKey(string controlId, DateTimeOffset at)
    {
        var store = _host.Services.GetRequiredService<IReceivedHl7v2Store>();
        await using var transaction = _host.Services.GetRequiredService<HubBusRegistry>().Transactions(ClinicalEndpoint.EndpointName).Begin();
        return await store.Add(transaction, new ReceivedHl7v2(Guid.NewGuid().ToString("N"), Department, "KEYTEST", "SENDER", controlId, "ADT^A04", "http", at));
    }
}

public sealed class Hl7v2Intake_InMemory(InMemoryInfrastructure infrastructure)
    : Hl7v2IntakeContract<InMemoryInfrastructure>(infrastructure);

public sealed class Hl7v2Intake_RabbitMqPostgreSql(IsolatedDurableInfrastructure infrastructure)
    : Hl7v2IntakeContract<IsolatedDurableInfrastructure>(infrastructure);

/// <summary>A store whose database is away: every hand-off fails before it commits.</summary>
public sealed class UnavailableReceivedStore : IReceivedHl7v2Store
{
    public Task<bool> Add(HubTransaction transaction, ReceivedHl7v2 received) =>
        throw new TimeoutException("test: the database is away");

    public Task<int> Prune(DateTimeOffset before, int batchSize, CancellationToken cancellationToken) => Task.FromResult(0);
}
