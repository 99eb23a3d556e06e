using netDumbster.smtp;

namespace IntegrationHub.Adapters.Notifications.Simulator;

/// <summary>An SMTP relay on loopback (netDumbster) that keeps every message it takes, for tests and the embedded host.</summary>
public sealed class SmtpRelaySimulator : IDisposable
{
    readonly SimpleSmtpServer _server = SimpleSmtpServer.Start();

    public int Port => _server.Configuration.Port;

    public IReadOnlyList<SmtpMessage> Received => [.. _server.ReceivedEmail];

    public SmtpOptions Options(string account) => new()
    {
        Account = account, Host = "127.0.0.1", Port = Port, Security = MailKit.Security.SecureSocketOptions.None, FromEmail = "no-reply@hub.example",
        FromName = "IntegrationHub",
    };

    public void Dispose()
    {
        _server.Stop();
        _server.Dispose();
    }
}
