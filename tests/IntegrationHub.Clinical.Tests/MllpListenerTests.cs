using IntegrationHub.Clinical.Routes;
using System.Net;
using System.Net.Sockets;
using System.Text;
using IntegrationHub.Adapters.Mllp;
using IntegrationHub.Clinical.Hl7v2;
using IntegrationHub.Contracts.Clinical.Commands;
using IntegrationHub.Contracts.Clinical.Events;
using IntegrationHub.Hosting;
using IntegrationHub.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Rebus.Messages;

namespace IntegrationHub.Clinical.Tests;

/// <summary>
/// The Clinical endpoint's MLLP side in one process: listeners bound to departments, ACKs on the connection, what a
/// listener refuses; and delivery of v2 to a legacy system (a test MLLP server) with its ACK, retries and the error queue.
/// </summary>
public sealed class MllpListenerTests : IAsyncLifetime
{
    const string ErrorQueue = "hub.error";
    readonly InMemoryInfrastructure _infrastructure = new();
    readonly MessageRecorder _recorder = new();
    readonly string _sender = Names.UniqueEndpoint("Hl7Sender");
    readonly LegacySystem _legacy = new();
    MllpServer _legacyServer = null!;
    HubTestHost _host = null!;

    int Port(string listener) => _host.Services.GetRequiredService<MllpListeners>().Ports[listener];

    public async Task InitializeAsync()
    {
        _legacyServer = MllpServer.Start("legacy", new MllpServerOptions { Address = IPAddress.Loopback }, _legacy, NullLogger.Instance);
        var settings = _infrastructure.Settings();
        settings["Hub:ErrorQueue"] = ErrorQueue;
        settings["Hub:Departments:health:RequestsPerMinute"] = "1000";
        settings["Hub:Departments:archive:RequestsPerMinute"] = "1000";
        settings["Hub:Clinical:Hl7v2:Departments:health:Senders:0"] = $"{Hl7v2Messages.Application}^{Hl7v2Messages.Facility}";
        settings["Hub:Clinical:Hl7v2:Departments:archive:Senders:0"] = "ARCHIVE^*";
        settings["Hub:Clinical:Hl7v2:MaxMessageBytes"] = "65536";
        foreach (var (listener, department) in new[] { ("ward", "health"), ("records", "archive") })
        {
            settings[$"Hub:Clinical:Hl7v2:Mllp:Listeners:{listener}:Port"] = "0";
            settings[$"Hub:Clinical:Hl7v2:Mllp:Listeners:{listener}:Address"] = "127.0.0.1";
            settings[$"Hub:Clinical:Hl7v2:Mllp:Listeners:{listener}:Department"] = department;
        }
        settings["Hub:Clinical:Hl7v2:Destinations:lab:Host"] = "127.0.0.1";
        settings["Hub:Clinical:Hl7v2:Destinations:lab:Port"] = _legacyServer.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Hub:Clinical:Hl7v2:Destinations:lab:Department"] = "health";
        settings["Hub:Clinical:Hl7v2:Destinations:lab:MaxAttempts"] = "3";
        settings["Hub:Clinical:Hl7v2:Destinations:lab:AckTimeout"] = "00:00:00.500";
        settings["Hub:Clinical:Hl7v2:Destinations:lab:FirstRetryDelay"] = "00:00:00.010";
        settings["Hub:Clinical:Deliveries:MaxAttempts"] = "2";
        settings["Hub:Clinical:Deliveries:FirstRetryDelay"] = "00:00:00.100";
        _host = await HubTestHost.Start(settings, new ClinicalEndpoint(), new TestEndpoint(_sender,
            e => e.Recording<Hl7v2MessageAccepted>(_recorder).Recording<Hl7v2MessageDelivered>(_recorder).Recording<Hl7v2MessageDeliveryFailed>(_recorder),
            typeof(Hl7v2MessageAccepted), typeof(Hl7v2MessageDelivered), typeof(Hl7v2MessageDeliveryFailed)));
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _legacyServer.DisposeAsync();
    }

    async Task<MllpDelivery> SendTo(string listener, string message)
    {
        await using var client = new MllpClient(new MllpClientOptions { Host = "127.0.0.1", Port = Port(listener), MaxAttempts = 1 });
        return await client.SendOnce(Encoding.UTF8.GetBytes(message), CancellationToken.None);
    }

    [Fact]
    public async Task A_message_on_a_listener_is_acked_AA_on_the_connection_and_handed_on_for_its_department()
    {
        var controlId = Guid.NewGuid().ToString("N")[..20];

        var delivery = await SendTo("ward", Hl7v2Messages.AdtA04(controlId));

        Assert.Equal((MllpOutcome.Accepted, "AA"), (delivery.Outcome, delivery.AckCode));
        var handedOn = (Hl7v2MessageAccepted)(await _recorder.WaitFor<Hl7v2MessageAccepted>(m => m.ControlId == controlId)).Message;
        Assert.Equal(("health", "mllp:ward"), (handedOn.Department, handedOn.Channel));
    }

    [Fact]
    public async Task A_sender_allowed_for_one_department_is_refused_on_another_departments_listener()
    {
        var delivery = await SendTo("records", Hl7v2Messages.AdtA04("WRONG-LISTENER"));

        Assert.Equal((MllpOutcome.Rejected, "AR"), (delivery.Outcome, delivery.AckCode));
        Assert.Contains("may not send", delivery.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_message_over_the_limit_gets_AR_207_from_its_header_and_the_connection_closes()
    {
        var huge = Hl7v2Messages.AdtA04("HUGE-1") + "NTE|1||" + new string('x', 70_000) + "\r";

        var delivery = await SendTo("ward", huge);

        Assert.Equal((MllpOutcome.Rejected, "AR"), (delivery.Outcome, delivery.AckCode));
        Assert.Contains("larger than", delivery.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bytes_with_no_MSH_close_the_connection_without_an_ACK()
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, Port("ward"));
        var stream = client.GetStream();
        await stream.WriteAsync((byte[])[0x0B, .. "PID|1||X\r"u8, 0x1C, 0x0D]);

        var buffer = new byte[64];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Assert.Equal(0, await stream.ReadAsync(buffer, timeout.Token));
    }

    [Fact]
    public async Task Delivery_waits_for_the_legacy_systems_AA_after_an_AE_and_publishes_it()
    {
        _legacy.Script("DLV-1", "AE", "AA");
        var deliveryId = Guid.NewGuid().ToString("N");

        await _host.Bus(_sender).Send(new DeliverHl7v2Message(deliveryId, "health", "lab", Hl7v2Messages.OruR01("DLV-1")));

        var delivered = (Hl7v2MessageDelivered)(await _recorder.WaitFor<Hl7v2MessageDelivered>(m => m.DeliveryId == deliveryId)).Message;
        Assert.Equal(("lab", "DLV-1", "AA", 1), (delivered.Destination, delivered.ControlId, delivered.AckCode, delivered.Attempts));
        Assert.Equal(2, _legacy.Received("DLV-1")); // the destination's own resend, within the first attempt
    }

    [Fact]
    public async Task Delivery_writes_the_character_set_MSH18_declares()
    {
        var message = Hl7v2Messages.AdtA04("DLV-LATIN1", extraMsh: "||||||8859/1", family: "MÜLLER");
        var deliveryId = Guid.NewGuid().ToString("N");

        await _host.Bus(_sender).Send(new DeliverHl7v2Message(deliveryId, "health", "lab", message));

        await _recorder.WaitFor<Hl7v2MessageDelivered>(m => m.DeliveryId == deliveryId);
        Assert.Equal(Encoding.Latin1.GetBytes(message), _legacy.Bytes("DLV-LATIN1"));
    }

    [Fact]
    public async Task Delivery_rejected_AR_fails_at_once_with_the_ACK_code_and_is_not_retried()
    {
        _legacy.Script("DLV-AR", "AR");
        var deliveryId = Guid.NewGuid().ToString("N");

        await _host.Bus(_sender).Send(new DeliverHl7v2Message(deliveryId, "health", "lab", Hl7v2Messages.OruR01("DLV-AR")));

        var failed = (Hl7v2MessageDeliveryFailed)(await _recorder.WaitFor<Hl7v2MessageDeliveryFailed>(m => m.DeliveryId == deliveryId)).Message;
        Assert.Contains("rejected (AR)", failed.Reason, StringComparison.Ordinal);
        Assert.Equal(1, failed.Attempts);
        Assert.Equal(1, _legacy.Received("DLV-AR"));
    }

    [Fact]
    public async Task Delivery_that_never_gets_an_AA_is_attempted_again_later_then_fails_after_the_last_attempt()
    {
        _legacy.Script("DLV-AE", "AE", "AE", "AE", "AE", "AE", "AE");
        var deliveryId = Guid.NewGuid().ToString("N");

        await _host.Bus(_sender).Send(new DeliverHl7v2Message(deliveryId, "health", "lab", Hl7v2Messages.OruR01("DLV-AE")));

        var failed = (Hl7v2MessageDeliveryFailed)(await _recorder.WaitFor<Hl7v2MessageDeliveryFailed>(m => m.DeliveryId == deliveryId)).Message;
        Assert.Equal(2, failed.Attempts);
        Assert.Contains("the last", failed.Reason, StringComparison.Ordinal);
        Assert.Equal(6, _legacy.Received("DLV-AE")); // 2 attempts of the destination's 3 sends each
        Assert.DoesNotContain(_recorder.OfType<Hl7v2MessageDelivered>(), m => m.DeliveryId == deliveryId);
    }

    [Fact]
    public async Task A_delivery_id_another_department_holds_fails_at_once_and_changes_nothing_of_the_first()
    {
        var deliveryId = Guid.NewGuid().ToString("N");
        await _host.Bus(_sender).Send(new DeliverHl7v2Message(deliveryId, "health", "lab", Hl7v2Messages.OruR01("DLV-ID-1")));
        await _recorder.WaitFor<Hl7v2MessageDelivered>(m => m.DeliveryId == deliveryId);

        await _host.Bus(_sender).Send(new DeliverHl7v2Message(deliveryId, "archive", "lab", Hl7v2Messages.OruR01("DLV-ID-2")));

        var failed = (Hl7v2MessageDeliveryFailed)(await _recorder.WaitFor<Hl7v2MessageDeliveryFailed>(m => m.DeliveryId == deliveryId)).Message;
        Assert.Equal("archive", failed.Department);
        Assert.Contains("is taken by another delivery", failed.Reason, StringComparison.Ordinal);
        Assert.Equal(0, _legacy.Received("DLV-ID-2"));
        var status = await _host.Services.GetRequiredKeyedService<EndpointRuntime>(ClinicalEndpoint.EndpointName).Status
            .Find(ClinicalDelivery.Kind, "health", deliveryId);
        Assert.Equal(ClinicalDelivery.Delivered, status!.Status);
    }

    [Fact]
    public async Task Delivery_to_another_departments_destination_is_refused_and_nothing_is_sent()
    {
        var deliveryId = Guid.NewGuid().ToString("N");

        await _host.Bus(_sender).Send(new DeliverHl7v2Message(deliveryId, "archive", "lab", Hl7v2Messages.OruR01("DLV-TENANT")));

        var failed = (Hl7v2MessageDeliveryFailed)(await _recorder.WaitFor<Hl7v2MessageDeliveryFailed>(m => m.DeliveryId == deliveryId)).Message;
        Assert.Contains("does not take department 'archive'", failed.Reason, StringComparison.Ordinal);
        Assert.Equal(0, _legacy.Received("DLV-TENANT"));
    }
}
