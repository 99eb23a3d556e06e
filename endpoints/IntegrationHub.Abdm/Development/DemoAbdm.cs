using System.Text.Json.Nodes;
using IntegrationHub.Abdm.Linking;
using IntegrationHub.Adapters.Abdm.Gateway;
using IntegrationHub.Adapters.Abdm.Registry;
using IntegrationHub.Adapters.Abdm.Simulator;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Rebus.Bus;

namespace IntegrationHub.Abdm.Development;

/// <summary>
/// For the embedded demo only (<c>Hub:Simulators:Enabled</c>): a simulated ABDM gateway (<see cref="AbdmGatewaySimulator"/>,
/// generation <c>Hub:Abdm:Simulator:ApiVersion</c>, V3 by default) on a free loopback port, HIP <c>demo-hip</c> serving
/// department <c>demo</c> from an in-memory registry with one patient, link OTPs delivered to the simulated patient's
/// phone, and routes that play the patient's app: <c>POST /dev/abdm/discover</c>, <c>/dev/abdm/link</c>,
/// <c>/dev/abdm/confirm</c>, each answering with what the hub sent the gateway (its on-… call).
/// </summary>
internal static class DemoAbdm
{
    public const string HipId = "demo-hip";
    public const string Department = "demo";
    public static RegistryRecord Patient { get; } = new(
        ReferenceNumber: "DEMO-PAT-001", Name: "Asha Devi", Gender: "F", YearOfBirth: 1985, Mobile: "+91 98765 43210", AbhaNumber: "91-1234-5678-9012",
        AbhaAddress: "asha.devi@sbx", MedicalRecordNumber: "MRN-0042",
        CareContexts: [new CareContext("OPD-2026-0012", "OPD consultation 2026-11-02", "OPConsultation"),
            new CareContext("LAB-2026-0440", "Blood tests 2026-11-02", "DiagnosticReport")]);

    public static void Add(IHostApplicationBuilder builder)
    {
        var version = AbdmApiVersion.V3;
        if (builder.Configuration["Hub:Abdm:Simulator:ApiVersion"] is { } text && !AbdmOptions.TryVersion(text, out version))
            throw new Hosting.Configuration.HubSettingsException([$"Hub:Abdm:Simulator:ApiVersion must be V3 or V05, got '{text}'"]);
        var simulator = AbdmGatewaySimulator.Start(version);
        var settings = new Dictionary<string, string?>(simulator.HubSettings(HipId, Department))
        {
            [$"{AbdmOptions.SectionName}:Linking:OtpSender"] = OtpSenders.Simulator,
        };
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddSingleton(_ => simulator); // made by a factory, so the container disposes it with the host
        builder.Services.AddSingleton<SimulatorOtpSender>();
        builder.Services.AddHostedService<DemoAbdmStart>();
    }

    public static void Map(IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/dev/abdm").ExcludeFromDescription().AllowAnonymous();
        group.MapPost("/discover", async (AbdmGatewaySimulator gateway, DemoDiscover? body) =>
        {
            var transactionId = Guid.NewGuid().ToString();
            var (status, requestId) = await gateway.Discover(HipId, transactionId, body?.AbhaAddress ?? Patient.AbhaAddress!, body?.Name ?? Patient.Name,
                body?.Gender ?? Patient.Gender, body?.YearOfBirth ?? Patient.YearOfBirth, body?.Mobile ?? Patient.Mobile);
            return await Answer(gateway, status, requestId, transactionId);
        });
        group.MapPost("/link", async (AbdmGatewaySimulator gateway, DemoLink body) =>
        {
            var (status, requestId) = await gateway.InitLink(HipId, body.TransactionId, body.AbhaAddress ?? Patient.AbhaAddress!,
                body.PatientReference ?? Patient.ReferenceNumber, body.CareContexts ?? [.. Patient.CareContexts.Select(c => c.ReferenceNumber)]);
            return await Answer(gateway, status, requestId, body.TransactionId);
        });
        group.MapPost("/confirm", async (AbdmGatewaySimulator gateway, DemoConfirm body) =>
        {
            // The simulated patient reads the OTP off their phone unless one is given (to try a wrong one).
            var otp = body.Otp ?? gateway.OtpFor(Patient.Mobile!) ?? "";
            var (status, requestId) = await gateway.ConfirmLink(HipId, body.LinkRefNumber, otp);
            return await Answer(gateway, status, requestId, null);
        });
    }

    public sealed record DemoDiscover(string? AbhaAddress, string? Name, string? Gender, int? YearOfBirth, string? Mobile);
    public sealed record DemoLink(string TransactionId, string? AbhaAddress, string? PatientReference, string[]? CareContexts);
    public sealed record DemoConfirm(string LinkRefNumber, string? Otp);

    static async Task<IResult> Answer(AbdmGatewaySimulator gateway, int status, string requestId, string? transactionId)
    {
        if (status != StatusCodes.Status202Accepted)
            return Results.Json(new { hubStatus = status, requestId }, statusCode: StatusCodes.Status502BadGateway);
        var answer = await gateway.AnswerTo(requestId, TimeSpan.FromSeconds(30));
        return Results.Json(new JsonObject
        {
            ["transactionId"] = transactionId,
            ["requestId"] = requestId,
            ["hubAnswered"] = answer.Path,
            ["answer"] = answer.Body.DeepClone(),
        });
    }

    /// <summary>Once the hub listens: the simulator calls it back there, and the demo HIP's registry is in place.</summary>
    sealed class DemoAbdmStart(AbdmGatewaySimulator gateway, PatientRegistries registries, AbdmOptions options, IServer server,
        IHostApplicationLifetime lifetime, ILogger<DemoAbdmStart> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            registries.Use(HipId, new InMemoryPatientRegistry([Patient]));
            lifetime.ApplicationStarted.Register(() =>
            {
                var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
                if (address is null) return; // a test server: the test points the simulator at it
                var local = address.Replace("://+", "://127.0.0.1").Replace("://*", "://127.0.0.1").Replace("://[::]", "://127.0.0.1").Replace("://0.0.0.0", "://127.0.0.1");
                if (gateway.HubBase is null) gateway.CallingHub(new Uri(local.TrimEnd('/') + options.CallbackPrefix));
                logger.LogWarning("SIMULATED ABDM gateway ({Version}) at {Gateway} for HIP {HipId} of department {Department}; it calls the hub at {Hub} (Hub:Simulators:Enabled)",
                    gateway.Version, gateway.BaseUrl, HipId, Department, gateway.HubBase);
            });
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

/// <summary>Development only: link OTPs go to the simulated patient's phone (<see cref="AbdmGatewaySimulator.DeliverOtp"/>).</summary>
internal sealed class SimulatorOtpSender(AbdmGatewaySimulator gateway) : IOtpSender
{
    public Task Send(IBus bus, OtpDelivery delivery)
    {
        gateway.DeliverOtp(delivery.Mobile, delivery.Otp);
        return Task.CompletedTask;
    }
}
