using IntegrationHub.Adapters.Notifications.Simulator;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace IntegrationHub.Notifications.Development;

/// <summary>
/// For the embedded demo only (<c>Hub:Simulators:Enabled</c>): Twilio, SendGrid and an SMTP relay simulated on loopback,
/// department <c>demo</c> sending SMS through <c>demo-twilio</c> and e-mail through <c>demo-sendgrid</c>, then
/// <c>demo-smtp</c> (its failover). The simulators send their receipts to the hub as the real providers would.
/// </summary>
internal static class DemoNotifications
{
    public const string Department = "demo";

    public static void Add(IHostApplicationBuilder builder)
    {
        var twilio = TwilioSimulator.Start();
        var sendGrid = SendGridSimulator.Start();
        var smtp = new SmtpRelaySimulator();
        builder.Configuration.AddInMemoryCollection(Settings(twilio, sendGrid, smtp, Department));
        builder.Services.AddSingleton(_ => twilio); // made by factories, so the container disposes them with the host
        builder.Services.AddSingleton(_ => sendGrid);
        builder.Services.AddSingleton(_ => smtp);
        builder.Services.AddHostedService<DemoNotificationsStart>();
    }

    public static Dictionary<string, string?> Settings(TwilioSimulator twilio, SendGridSimulator sendGrid, SmtpRelaySimulator smtp, string department, string prefix = "demo")
    {
        var section = NotificationsOptions.SectionName;
        var sg = sendGrid.Options($"{prefix}-sendgrid");
        return new Dictionary<string, string?>
        {
            [$"{section}:Providers:{prefix}-twilio:Provider"] = "twilio",
            [$"{section}:Providers:{prefix}-twilio:AccountSid"] = TwilioSimulator.AccountSid,
            [$"{section}:Providers:{prefix}-twilio:AuthToken"] = TwilioSimulator.AuthToken,
            [$"{section}:Providers:{prefix}-twilio:From"] = TwilioSimulator.From,
            [$"{section}:Providers:{prefix}-twilio:ApiBase"] = twilio.ApiBase.ToString(),
            [$"{section}:Providers:{prefix}-sendgrid:Provider"] = "sendgrid",
            [$"{section}:Providers:{prefix}-sendgrid:ApiKey"] = sg.ApiKey,
            [$"{section}:Providers:{prefix}-sendgrid:FromEmail"] = sg.FromEmail,
            [$"{section}:Providers:{prefix}-sendgrid:WebhookPublicKey"] = sg.WebhookPublicKey,
            [$"{section}:Providers:{prefix}-sendgrid:ApiBase"] = sendGrid.ApiBase.ToString(),
            [$"{section}:Providers:{prefix}-smtp:Provider"] = "smtp",
            [$"{section}:Providers:{prefix}-smtp:Host"] = "127.0.0.1",
            [$"{section}:Providers:{prefix}-smtp:Port"] = smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [$"{section}:Providers:{prefix}-smtp:Security"] = "None",
            [$"{section}:Providers:{prefix}-smtp:FromEmail"] = "no-reply@hub.example",
            [$"{section}:Departments:{department}:DefaultRegion"] = "PK",
            [$"{section}:Departments:{department}:SmsProviders:0"] = $"{prefix}-twilio",
            [$"{section}:Departments:{department}:EmailProviders:0"] = $"{prefix}-sendgrid",
            [$"{section}:Departments:{department}:EmailProviders:1"] = $"{prefix}-smtp",
        };
    }

    /// <summary>Once the hub listens, SendGrid's events go there (Twilio's go to each message's StatusCallback).</summary>
    sealed class DemoNotificationsStart(SendGridSimulator sendGrid, NotificationsOptions options, IServer server, IHostApplicationLifetime lifetime,
        ILogger<DemoNotificationsStart> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            lifetime.ApplicationStarted.Register(() =>
            {
                if (server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() is null) return; // a test server: the test points them
                sendGrid.SendingEventsTo(NotificationsOptions.CallbackUrl(options.PublicBaseUrl, "sendgrid", "demo-sendgrid"));
                logger.LogWarning("SIMULATED Twilio, SendGrid and an SMTP relay for department {Department} (Hub:Simulators:Enabled)", Department);
            });
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
