using System.Net.Sockets;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace IntegrationHub.Ctl.Rabbit;

/// <summary>Opens AMQP connections and turns connection failures into one-line messages.</summary>
public static class BrokerConnection
{
    public const string DefaultUri = IntegrationHub.Hosting.HubOptions.DefaultRabbitMq;
    public const string EnvironmentVariable = "ConnectionStrings__RabbitMq";

    /// <summary>The URI from <c>ConnectionStrings__RabbitMq</c>, else the local default.</summary>
    public static string DefaultFromEnvironment()
    {
        var fromEnv = Environment.GetEnvironmentVariable(EnvironmentVariable);
        return string.IsNullOrWhiteSpace(fromEnv) ? DefaultUri : fromEnv.Trim();
    }

    public static async Task<IConnection> OpenAsync(string amqpUri, CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory
        {
            ClientProvidedName = "hubctl",
            AutomaticRecoveryEnabled = false,
            TopologyRecoveryEnabled = false,
            RequestedConnectionTimeout = TimeSpan.FromSeconds(10),
            ContinuationTimeout = TimeSpan.FromSeconds(30),
        };
        try
        {
            factory.Uri = new Uri(amqpUri);
        }
        catch (Exception e) when (e is UriFormatException or ArgumentException)
        {
            throw new HubCtlException(
                $"invalid RabbitMQ URI '{Redact(amqpUri)}': expected amqp://user:password@host:port/vhost ({e.Message})",
                ExitCodes.Failed, e);
        }

        try
        {
            return await factory.CreateConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is BrokerUnreachableException or SocketException or TimeoutException
                                      or OperationInterruptedException or IOException or ConnectFailureException)
        {
            throw new HubCtlException($"cannot reach RabbitMQ at {Redact(amqpUri)}: {Describe(e, factory.UserName)}",
                ExitCodes.Unavailable, e);
        }
    }

    /// <summary>The URI without user name and password, e.g. <c>amqp://127.0.0.1:5672/</c>.</summary>
    /// <summary>Whether <paramref name="queue"/> exists (on a throwaway channel: a failed passive declare closes it).</summary>
    public static async Task<bool> QueueExistsAsync(IConnection connection, string queue, CancellationToken cancellationToken)
    {
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            await channel.QueueDeclarePassiveAsync(queue, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            return false;
        }
    }

    public static string Redact(string amqpUri)
    {
        if (!Uri.TryCreate(amqpUri, UriKind.Absolute, out var uri))
        {
            var at = amqpUri.LastIndexOf('@');
            var scheme = amqpUri.IndexOf("://", StringComparison.Ordinal);
            return at > 0 && scheme >= 0 && at > scheme ? amqpUri[..(scheme + 3)] + amqpUri[(at + 1)..] : amqpUri;
        }

        var builder = new UriBuilder(uri) { UserName = string.Empty, Password = string.Empty };
        if (uri.IsDefaultPort || uri.Port < 0)
        {
            builder.Port = uri.Scheme == "amqps" ? 5671 : 5672;
        }
        return builder.Uri.ToString();
    }

    private static string Describe(Exception e, string userName)
    {
        for (var current = e; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case AuthenticationFailureException:
                    return $"authentication failed for user '{userName}' (ACCESS_REFUSED)";
                case SocketException socket when socket.SocketErrorCode == SocketError.ConnectionRefused:
                    return "connection refused";
                case SocketException socket when socket.SocketErrorCode is SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain:
                    return "host not found";
                case SocketException socket when socket.SocketErrorCode == SocketError.TimedOut:
                    return "connection timed out";
                case SocketException socket:
                    return socket.Message;
                case TimeoutException:
                    return "connection timed out";
                case OperationInterruptedException interrupted when interrupted.ShutdownReason is { } reason:
                    return $"{reason.ReplyText} (code {reason.ReplyCode})";
            }
        }

        var innermost = e;
        while (innermost.InnerException is not null)
        {
            innermost = innermost.InnerException;
        }
        return innermost.Message;
    }
}
