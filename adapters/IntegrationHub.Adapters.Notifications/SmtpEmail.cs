using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace IntegrationHub.Adapters.Notifications;

public sealed class SmtpOptions
{
    public required string Account { get; init; }
    public required string Host { get; init; }
    public int Port { get; init; } = 587;

    /// <summary><c>StartTls</c> (the default), <c>SslOnConnect</c>, or <c>None</c> (a relay on the same machine only).</summary>
    public SecureSocketOptions Security { get; init; } = SecureSocketOptions.StartTls;

    public string? UserName { get; init; }
    public string? Password { get; init; }
    public required string FromEmail { get; init; }
    public string? FromName { get; init; }
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// E-mail through an SMTP relay with MailKit. SMTP has no receipts: the relay's acceptance (<c>250</c> after DATA) is
/// the last word the hub gets, so a message ends <see cref="DeliveryState.Sent"/>. A relay that refuses the connection or
/// answers 4xx before DATA surely did not take it; a connection lost after DATA may have.
/// </summary>
public sealed class SmtpEmail(SmtpOptions options) : INotificationProvider
{
    public const string Name = "smtp";

    public string Provider => Name;

    public string Account => options.Account;

    public Channel Channel => Channel.Email;

    public bool SendsReceipts => false;

    public async Task<ProviderAccepted> Send(OutboundMessage message, CancellationToken cancellationToken = default)
    {
        var mail = new MimeMessage();
        mail.From.Add(new MailboxAddress(options.FromName ?? "", options.FromEmail));
        mail.To.Add(MailboxAddress.Parse(message.To));
        mail.Subject = message.Subject ?? "";
        mail.Body = new TextPart("plain") { Text = message.Body };
        var id = $"{message.Reference}@{options.Account}.hub";
        mail.MessageId = id;
        using var client = new SmtpClient { Timeout = (int)options.Timeout.TotalMilliseconds };
        var sending = false;
        try
        {
            await client.ConnectAsync(options.Host, options.Port, options.Security, cancellationToken);
            if (options.UserName is { } user) await client.AuthenticateAsync(user, options.Password ?? "", cancellationToken);
            sending = true;
            await client.SendAsync(mail, cancellationToken);
            await client.DisconnectAsync(true, cancellationToken);
            return new ProviderAccepted(id, DeliveryState.Sent);
        }
        catch (AuthenticationException e)
        {
            throw new ExternalSystemException(Name, ExternalFailure.Unauthorized, "the relay refused the credentials", e);
        }
        catch (SmtpCommandException e) when (e.ErrorCode is SmtpErrorCode.RecipientNotAccepted)
        {
            throw new ExternalSystemException(Name, ExternalFailure.Invalid, $"the relay refused the recipient ({(int)e.StatusCode})", e);
        }
        catch (SmtpCommandException e) when ((int)e.StatusCode is >= 400 and < 500)
        {
            throw new ExternalSystemException(Name, ExternalFailure.Unavailable, $"the relay answered {(int)e.StatusCode}: try again later", e);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ServiceNotConnectedException or SmtpProtocolException
                                      or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw sending
                ? new ExternalSystemException(Name, ExternalFailure.TimedOut, "the connection broke while sending: the relay may have taken the message", e)
                : new ExternalSystemException(Name, ExternalFailure.Unavailable, "the relay could not be reached", e);
        }
    }

    public ReceiptVerification Verify(ProviderCallback callback) => new ReceiptVerification.Refused(404, "SMTP relays send no receipts");
}
