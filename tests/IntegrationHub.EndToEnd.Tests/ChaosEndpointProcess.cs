using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using IntegrationHub.Testing;

namespace IntegrationHub.EndToEnd.Tests;

/// <summary>
/// One run of the IntegrationHub.ChaosEndpoint executable (<c>dotnet IntegrationHub.ChaosEndpoint.dll</c>) with settings
/// passed as environment variables; its stdout/stderr are kept (the last lines) for the test output on failure.
/// </summary>
public sealed partial class ChaosEndpointProcess : IDisposable
{
    const int KeptLines = 300;

    /// <summary>What the hub's unit of work logs (Information) when the inbox says a message was already handled.</summary>
    const string InboxSkipMarker = "was already handled";

    [GeneratedRegex(@"Message (?<id>\S+) was already handled")]
    private static partial Regex InboxSkipLine();

    readonly Process _process;
    readonly ConcurrentQueue<string> _lines = new();
    readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly TaskCompletionSource _frozen = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly TaskCompletionSource _committedFrozen = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly ConcurrentDictionary<string, int> _skippedMessageIds = new(StringComparer.Ordinal);
    int _lineCount;
    int _inboxSkips;

    public string Label { get; }
    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;

    /// <summary>Lines (of the whole run, not only the kept ones) saying a redelivered message was skipped by the inbox.</summary>
    public int InboxSkips => Volatile.Read(ref _inboxSkips);

    /// <summary>The Rebus message ids of the redeliveries skipped by the inbox, with how often each was skipped.</summary>
    public IReadOnlyDictionary<string, int> SkippedMessageIds => _skippedMessageIds;

    /// <summary>All lines written by the process so far.</summary>
    public int LineCount => Volatile.Read(ref _lineCount);

    ChaosEndpointProcess(string label, Process process)
    {
        Label = label;
        _process = process;
    }

    /// <summary>The endpoint's dll, built with the same configuration as this test assembly (see the test .csproj).</summary>
    public static string EndpointDll
    {
        get
        {
            var path = Environment.GetEnvironmentVariable("CHAOS_ENDPOINT_DLL") is { Length: > 0 } overridden
                ? overridden
                : BuiltPrograms.Dll("ChaosEndpointDll");
            if (string.IsNullOrEmpty(path) || !File.Exists(path))
                throw new FileNotFoundException($"IntegrationHub.ChaosEndpoint.dll not found at '{path}': build tests/IntegrationHub.ChaosEndpoint (the test project references it) or set CHAOS_ENDPOINT_DLL.");
            return path;
        }
    }

    public static ChaosEndpointProcess Start(string label, IReadOnlyDictionary<string, string> environment)
    {
        var dll = EndpointDll;
        var start = ProgramRun.StartInfo(dll);
        start.RedirectStandardInput = true;
        foreach (var (key, value) in environment) start.Environment[key] = value;

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var run = new ChaosEndpointProcess(label, process);
        process.OutputDataReceived += (_, e) => run.OnLine("out", e.Data);
        process.ErrorDataReceived += (_, e) => run.OnLine("err", e.Data);
        process.Exited += (_, _) =>
        {
            run._ready.TrySetException(new InvalidOperationException($"{label} exited before it was ready (exit code {SafeExitCode(process)})"));
            run._frozen.TrySetException(new InvalidOperationException($"{label} exited before its handlers froze (exit code {SafeExitCode(process)})"));
            run._committedFrozen.TrySetException(new InvalidOperationException($"{label} exited before its handlers froze after their commit (exit code {SafeExitCode(process)})"));
        };
        if (!process.Start()) throw new InvalidOperationException($"Could not start {label}");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return run;
    }

    void OnLine(string stream, string? line)
    {
        if (line is null) return;
        _lines.Enqueue($"[{Label} {stream}] {line}");
        if (Interlocked.Increment(ref _lineCount) > KeptLines) _lines.TryDequeue(out _);
        if (line.Contains(InboxSkipMarker, StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _inboxSkips);
            if (InboxSkipLine().Match(line) is { Success: true } skip)
                _skippedMessageIds.AddOrUpdate(skip.Groups["id"].Value, 1, (_, count) => count + 1);
        }
        if (stream != "out") return;
        if (line.StartsWith(ChaosEndpoint.Program.ReadyLine, StringComparison.Ordinal)) _ready.TrySetResult();
        if (line.StartsWith(ChaosEndpoint.ChaosFreeze.FrozenLine, StringComparison.Ordinal)) _frozen.TrySetResult();
        if (line.StartsWith(ChaosEndpoint.ChaosFreeze.CommittedFrozenLine, StringComparison.Ordinal)) _committedFrozen.TrySetResult();
    }

    /// <summary>Waits (bounded) until the endpoint says it is consuming; fails at once if the process exits.</summary>
    public Task WaitUntilReady(TimeSpan timeout) => WaitFor(_ready.Task, timeout, "report readiness");

    /// <summary>Waits (bounded) until the endpoint says handlers are frozen with their transactions open (Chaos:FreezeAfterInvocations).</summary>
    public Task WaitUntilFrozen(TimeSpan timeout) => WaitFor(_frozen.Task, timeout, "report handlers frozen mid-transaction");

    /// <summary>Waits (bounded) until the endpoint says handlers are frozen after their commit, before their sends and ack (Chaos:FreezeAfterCommits).</summary>
    public Task WaitUntilFrozenAfterCommit(TimeSpan timeout) => WaitFor(_committedFrozen.Task, timeout, "report handlers frozen after their commit");

    Task WaitFor(Task signal, TimeSpan timeout, string what) =>
        signal.WaitAsync(timeout).ContinueWith(t =>
        {
            if (t.Exception?.InnerException is TimeoutException)
                throw new TimeoutException($"{Label} did not {what} within {timeout.TotalSeconds:0} s");
            t.GetAwaiter().GetResult();
        }, TaskScheduler.Default);

    /// <summary><c>kill -9</c>: <see cref="Process.Kill()"/> sends SIGKILL on Unix; no shutdown code runs in the endpoint.</summary>
    public async Task KillHard(TimeSpan timeout)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
            throw new PlatformNotSupportedException("The chaos test relies on SIGKILL semantics (Linux/macOS).");
        _process.Kill(entireProcessTree: false);
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
    }

    public IReadOnlyCollection<string> Output => _lines.ToArray();

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // never started or already gone
        }
        _process.Dispose();
    }

    static string SafeExitCode(Process process)
    {
        try { return process.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture); }
        catch (InvalidOperationException) { return "?"; }
    }
}
