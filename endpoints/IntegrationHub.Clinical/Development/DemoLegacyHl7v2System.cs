using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Adapters.Hl7v2;
using IntegrationHub.Adapters.Mllp;
using IntegrationHub.Clinical.Hl7v2;
using IntegrationHub.Clinical.Routes;
using Microsoft.Extensions.Logging.Abstractions;

namespace IntegrationHub.Clinical.Development;

/// <summary>
/// For the embedded demo only (<c>Hub:Simulators:Enabled</c>): department <c>demo</c>'s legacy HL7 v2 system, an MLLP
/// receiver on a free loopback port that ACKs what parses with AA (AR with ERR segments otherwise), named as the
/// department's destination <c>demo-legacy</c> and its route's <c>Hl7v2Destination</c> — so FHIR posted to
/// <c>/api/v1/clinical/deliveries</c> arrives as v2 with nothing installed. <c>GET /dev/hl7v2/received</c> lists the
/// last <see cref="Kept"/> messages it received, newest first.
/// </summary>
internal sealed class DemoLegacyHl7v2System : IMllpHandler, IAsyncDisposable
{
    public const string Path = "/dev/hl7v2/received";
    public const string Destination = "demo-legacy";
    const string Department = "demo";
    const int Kept = 100;
    readonly LinkedList<(DateTimeOffset At, string Type, string ControlId, string Message)> _received = new();
    readonly MllpServer _server;

    DemoLegacyHl7v2System() =>
        _server = MllpServer.Start("demo-legacy", new MllpServerOptions { Address = IPAddress.Loopback, Port = 0, MaxFrameBytes = 1024 * 1024 },
            this, NullLogger.Instance);

    public static void Add(IHostApplicationBuilder builder)
    {
        var system = new DemoLegacyHl7v2System();
        var destination = $"{Hl7v2Options.SectionName}:Destinations:{Destination}";
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"{destination}:Host"] = "127.0.0.1",
            [$"{destination}:Port"] = system._server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [$"{destination}:Department"] = Department,
            [$"{ClinicalRoutesOptions.SectionName}:{Department}:Hl7v2Destination"] = Destination,
        });
        builder.Services.AddSingleton(_ => system); // made by a factory, so the container disposes it (its port closed) with the host
    }

    public static void Map(IEndpointRouteBuilder routes)
    {
        var system = routes.ServiceProvider.GetRequiredService<DemoLegacyHl7v2System>();
        routes.MapGet(Path, () => Results.Text(system.Received().ToJsonString(), "application/json", Encoding.UTF8))
            .ExcludeFromDescription().AllowAnonymous();
    }

    JsonArray Received()
    {
        lock (_received)
            return new JsonArray([.. _received.Select(r => new JsonObject
            {
                ["at"] = r.At,
                ["messageType"] = r.Type,
                ["controlId"] = r.ControlId,
                ["message"] = r.Message,
            })]);
    }

    public ValueTask<MllpReply> Handle(MllpConnection connection, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        var parsed = Hl7Parser.Parse(message.Span);
        var ack = Hl7Ack.Build(parsed, new Hl7AckOptions("LEGACY-" + Guid.NewGuid().ToString("N")[..12], DateTimeOffset.UtcNow));
        if (parsed.Message is { } received)
            lock (_received)
            {
                _received.AddFirst((DateTimeOffset.UtcNow, $"{received.Msh.MessageCode}^{received.Msh.TriggerEvent}", received.Msh.ControlId,
                    Hl7Writer.WriteString(received).Replace("\r", "\n", StringComparison.Ordinal).TrimEnd()));
                while (_received.Count > Kept) _received.RemoveLast();
            }
        return ValueTask.FromResult(ack.Ack is { } answer ? MllpReply.Send(Hl7Writer.WriteBytes(answer)) : MllpReply.CloseConnection);
    }

    public ValueTask<MllpReply> Oversized(MllpConnection connection, ReadOnlyMemory<byte> prefix, CancellationToken cancellationToken) =>
        ValueTask.FromResult(MllpReply.CloseConnection);

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
