using System.Diagnostics;
using System.Reflection;

namespace IntegrationHub.Testing;

/// <summary>What a program printed and how it ended, when run as its own process.</summary>
public sealed record ProgramOutcome(int ExitCode, string Output, string Error)
{
    /// <summary>Lines that look like a .NET stack trace ("   at Namespace.Type.Method(…)").</summary>
    public IReadOnlyList<string> StackTraceLines => (Output + "\n" + Error).Split('\n')
        .Where(l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal) && l.Contains('(')).ToList();
}

/// <summary>Runs one of the hub's programs (<c>dotnet Program.dll</c>) as an operator would, and waits for it to end.</summary>
public static class ProgramRun
{
    public static Task<ProgramOutcome> Run(Assembly program, IReadOnlyDictionary<string, string?> environment, TimeSpan timeout) =>
        Run(program.Location, [], environment, timeout);

    /// <summary>
    /// Runs <c>dotnet <paramref name="dll"/> <paramref name="args"/></c> in Production (unless <paramref name="environment"/>
    /// says otherwise), with <paramref name="environment"/> added and <paramref name="input"/> (if any) on its standard
    /// input; kills it (and its children) if it has not ended within <paramref name="timeout"/>.
    /// </summary>
    public static async Task<ProgramOutcome> Run(string dll, IEnumerable<string> args, IReadOnlyDictionary<string, string?> environment, TimeSpan timeout,
        byte[]? input = null)
    {
        var start = StartInfo(dll);
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in environment)
            start.Environment[key] = value;
        start.RedirectStandardInput = input is not null;

        using var process = Process.Start(start)!;
        // Read before writing: a program that answers while it reads would otherwise block on a full pipe.
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            await process.StandardInput.BaseStream.WriteAsync(input);
            process.StandardInput.Close();
        }
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileNameWithoutExtension(dll)} did not end within {timeout}; it printed: {await output}{await error}");
        }
        return new ProgramOutcome(process.ExitCode, await output, await error);
    }

    /// <summary><c>dotnet <paramref name="dll"/></c> in the dll's folder, its output and error output redirected.</summary>
    public static ProcessStartInfo StartInfo(string dll)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        return start;
    }
}
