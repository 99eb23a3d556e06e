using System.CommandLine;
using IntegrationHub.Ctl.Commands;

namespace IntegrationHub.Ctl;

/// <summary>Composes the hubctl command tree; each command group lives in its own file under Commands/.</summary>
public static class Program
{
    public static RootCommand CreateRootCommand()
    {
        var root = new RootCommand("hubctl: operator CLI for IntegrationHub");
        root.Subcommands.Add(ErrorsCommands.Create());
        root.Subcommands.Add(DbCommands.Create());
        root.Subcommands.Add(TokenCommands.Create());
        root.Subcommands.Add(WebhooksCommands.Create());
        root.Subcommands.Add(OutboxCommands.Create());
        root.Subcommands.Add(ClinicalCommands.CreateTranslate());
        root.Subcommands.Add(ClinicalCommands.CreateValidate());
        root.Subcommands.Add(Hl7Commands.Create());
        root.Subcommands.Add(AbdmCommands.Create());
        root.Subcommands.Add(PaymentsCommands.Create());
        return root;
    }

    public static Task<int> Main(string[] args) => CreateRootCommand().Parse(args).InvokeAsync();
}
