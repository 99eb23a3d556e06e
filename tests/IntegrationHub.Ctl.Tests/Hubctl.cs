using System.CommandLine;

namespace IntegrationHub.Ctl.Tests;

/// <summary>Runs hubctl in process, as the command line would, and keeps what it wrote.</summary>
internal static class Hubctl
{
    /// <summary>The exit code and what hubctl wrote to its output and its error output.</summary>
    public static async Task<(int Code, string Output, string Error)> Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await Program.CreateRootCommand().Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }
}
