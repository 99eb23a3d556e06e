using System.CommandLine;
using System.Globalization;
using System.Net.Security;
using System.Text;
using IntegrationHub.Adapters.Hl7v2;
using IntegrationHub.Adapters.Mllp;

namespace IntegrationHub.Ctl.Commands;

/// <summary>
/// <c>hubctl hl7 parse FILE|-</c> (a readable tree of segments and fields, offline) and
/// <c>hubctl hl7 send FILE|- --to host:port [--tls] [--insecure] [--timeout 30s]</c> (one message over MLLP, its ACK printed).
/// </summary>
internal static class Hl7Commands
{
    const int MaxInputBytes = 64 * 1024 * 1024;

    public static Command Create()
    {
        var hl7 = new Command("hl7", "HL7 v2: parse a message offline, or send one over MLLP and print the ACK");
        hl7.Subcommands.Add(CreateParse());
        hl7.Subcommands.Add(CreateSend());
        return hl7;
    }

    static Argument<string> Input() => new("file") { Description = "The message: a file, or - for standard input" };

    static Command CreateParse()
    {
        var input = Input();
        var command = new Command("parse", "Print a message's segments and fields as a tree, with its problems (exit code 1 when it has any)") { input };
        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(parseResult, async (output, _) =>
        {
            var parsed = Hl7Parser.Parse(await InputFiles.Read(parseResult.GetValue(input)!, MaxInputBytes, cancellationToken));
            await output.WriteAsync(Hl7Tree.Write(parsed));
            if (parsed.Message is null)
                throw new HubCtlException("no MSH segment: this is not an HL7 v2 message", ExitCodes.Failed);
            return parsed.Problems.Count == 0 ? ExitCodes.Ok : ExitCodes.Failed;
        }, cancellationToken));
        return command;
    }

    static Command CreateSend()
    {
        var input = Input();
        var to = new Option<string>("--to") { Description = "The MLLP listener, host:port (e.g. 127.0.0.1:2575)", HelpName = "host:port", Required = true };
        var tls = new Option<bool>("--tls") { Description = "Connect with TLS (the server's certificate must be trusted and carry the host's name)" };
        var insecure = new Option<bool>("--insecure") { Description = "With --tls: accept any server certificate (testing only)" };
        var timeout = new Option<string>("--timeout") { Description = "How long to wait for the ACK", HelpName = "duration", DefaultValueFactory = _ => "30s" };
        var command = new Command("send", "Send one message over MLLP and print its ACK (exit code 0 on AA or CA)") { input, to, tls, insecure, timeout };
        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(parseResult, async (output, error) =>
        {
            var (host, port) = HostAndPort(parseResult.GetValue(to)!);
            var wait = Duration(parseResult.GetValue(timeout)!);
            var message = await InputFiles.Read(parseResult.GetValue(input)!, MaxInputBytes, cancellationToken);
            if (Hl7Parser.Parse(message).Message?.Msh.ControlId is not { Length: > 0 })
                throw new HubCtlException("the input has no MSH segment with a control id (MSH-10): not an HL7 v2 message", ExitCodes.Failed);
            RemoteCertificateValidationCallback? accept = null;
            if (parseResult.GetValue(insecure))
            {
                await error.WriteLineAsync("hubctl: --insecure: the server's certificate is not checked");
                accept = (_, _, _, _) => true;
            }
            await using var client = new MllpClient(new MllpClientOptions
            {
                Host = host, Port = port, Tls = parseResult.GetValue(tls), ValidateServerCertificate = accept,
                AckTimeout = wait, ConnectTimeout = wait, MaxAttempts = 1,
            });
            var delivery = await client.SendOnce(message, cancellationToken);
            if (delivery.Ack is { } ack)
                await output.WriteLineAsync(Encoding.UTF8.GetString(ack).TrimEnd('\r').Replace('\r', '\n'));
            if (delivery.Outcome == MllpOutcome.Accepted) return ExitCodes.Ok;
            throw new HubCtlException(delivery.Outcome == MllpOutcome.NoAck
                ? $"no ACK from {host}:{port}: {delivery.Detail}"
                : $"{delivery.AckCode}: {delivery.Detail ?? "the receiver did not accept the message"}", ExitCodes.Failed);
        }, cancellationToken));
        return command;
    }

    static (string Host, int Port) HostAndPort(string value)
    {
        var colon = value.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(value[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            throw new HubCtlException($"--to must be host:port (e.g. 127.0.0.1:2575), not '{value}'", ExitCodes.Failed);
        return (value[..colon].Trim('[', ']'), port);
    }

    static TimeSpan Duration(string value)
    {
        var number = value.TrimEnd('s', 'm');
        if (double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) && amount > 0 && amount <= 3600)
            return value.EndsWith('m') ? TimeSpan.FromMinutes(amount) : TimeSpan.FromSeconds(amount);
        throw new HubCtlException($"--timeout must be a duration such as 30s or 2m, not '{value}'", ExitCodes.Failed);
    }
}
