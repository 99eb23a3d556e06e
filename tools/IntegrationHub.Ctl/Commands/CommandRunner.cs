using System.CommandLine;
using IntegrationHub.Ctl.Rabbit;
using RabbitMQ.Client.Exceptions;

namespace IntegrationHub.Ctl.Commands;

/// <summary>Runs a command body and turns expected failures into a one-line message and an exit code.</summary>
internal static class CommandRunner
{
    public static async Task<int> RunAsync(ParseResult parseResult, Func<TextWriter, TextWriter, Task<int>> body,
        CancellationToken cancellationToken)
    {
        var output = parseResult.InvocationConfiguration.Output;
        var error = parseResult.InvocationConfiguration.Error;
        try
        {
            return await body(output, error).ConfigureAwait(false);
        }
        catch (HubCtlException e)
        {
            await error.WriteLineAsync($"hubctl: {e.Message}").ConfigureAwait(false);
            return e.ExitCode;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await error.WriteLineAsync("hubctl: cancelled; messages not yet moved stay in the error queue").ConfigureAwait(false);
            return 130;
        }
        catch (Exception e) when (e is AlreadyClosedException or OperationInterruptedException)
        {
            var reason = e is OperationInterruptedException { ShutdownReason: { } r } ? $"{r.ReplyText} (code {r.ReplyCode})" : e.Message;
            await error.WriteLineAsync($"hubctl: RabbitMQ closed the connection: {reason}; messages not yet moved stay in the error queue")
                .ConfigureAwait(false);
            return ExitCodes.Unavailable;
        }
    }
}

/// <summary>Options shared by every command that talks to RabbitMQ.</summary>
internal sealed class BrokerOptions
{
    public Option<string?> RabbitMq { get; } = new("--rabbitmq")
    {
        Description = $"AMQP URI of the broker (default: ${BrokerConnection.EnvironmentVariable}, else {BrokerConnection.DefaultUri})",
        HelpName = "amqp-uri",
        Recursive = true,
    };

    public Option<string> ErrorQueue { get; } = new("--error-queue")
    {
        Description = "Name of the shared error queue",
        HelpName = "queue",
        DefaultValueFactory = _ => Rabbit.ErrorQueue.DefaultQueueName,
        Recursive = true,
    };

    public void AddTo(Command command)
    {
        command.Options.Add(RabbitMq);
        command.Options.Add(ErrorQueue);
    }

    public Task<ErrorQueue> ConnectAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var uri = parseResult.GetValue(RabbitMq);
        if (string.IsNullOrWhiteSpace(uri))
        {
            uri = BrokerConnection.DefaultFromEnvironment();
        }
        var queue = parseResult.GetValue(ErrorQueue) ?? Rabbit.ErrorQueue.DefaultQueueName;
        return Rabbit.ErrorQueue.ConnectAsync(uri, queue, cancellationToken);
    }
}
