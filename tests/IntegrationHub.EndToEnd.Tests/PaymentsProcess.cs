using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using IntegrationHub.Adapters.Payments.Simulator;
using IntegrationHub.Hosting.Security;
using IntegrationHub.Payments.Development;
using IntegrationHub.Testing;

namespace IntegrationHub.EndToEnd.Tests;

/// <summary>
/// The Payments endpoint as its own program on a durable infrastructure of its own (virtual host <paramref name="label"/>),
/// with department <paramref name="department"/>'s simulated Stripe and JazzCash accounts: started (again, after a
/// kill), waited for, stopped.
/// </summary>
internal sealed class PaymentsProcess(string label, string department) : IAsyncLifetime
{
    readonly IsolatedDurableInfrastructure _infrastructure = new() { VirtualHostLabel = label };

    public StripeSimulator Stripe { get; } = StripeSimulator.Start();

    public JazzCashSimulator JazzCash { get; } = JazzCashSimulator.Start();

    public IsolatedDurableInfrastructure Infrastructure => _infrastructure;

    public Task InitializeAsync() => _infrastructure.InitializeAsync();

    public async Task DisposeAsync()
    {
        Stripe.Dispose();
        JazzCash.Dispose();
        await _infrastructure.DisposeAsync();
    }

    readonly string _signingKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48));
    readonly ConcurrentQueue<string> _log = new();

    public int Port { get; } = FreePort();

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");

    public string Token(params string[] scopes) => DevTokens.Create(_signingKey, department, scopes, TimeSpan.FromMinutes(30));

    public Process Start(string name)
    {
        var start = ProgramRun.StartInfo(BuiltPrograms.Dll("PaymentsDll") ?? throw new InvalidOperationException("The test assembly names no PaymentsDll"));
        var settings = _infrastructure.Settings();
        foreach (var (key, value) in DemoPayments.Settings(Stripe, JazzCash, new Uri("https://revenue.example.gov/done"), department)) settings[key] = value;
        settings["Hub:Auth:DevSigningKey"] = _signingKey;
        settings["Hub:JsonLogs"] = "false";
        settings[$"Hub:Departments:{department}:RequestsPerMinute"] = "1000000";
        settings["Hub:PublicBaseUrl"] = BaseAddress.ToString();
        settings["Hub:Payments:Payment:PollAfter"] = "00:00:02";
        settings["Hub:Payments:Payment:MaxPollInterval"] = "00:00:05";
        settings["Hub:Payments:Reconciliation:Enabled"] = "false";
        settings["ASPNETCORE_URLS"] = BaseAddress.ToString().TrimEnd('/');
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        foreach (var (key, value) in settings)
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is { } line) Log(name, line); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) Log(name, line); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    public Task WaitForHttp(Process process, HttpClient http) => Eventually.Until(async () =>
    {
        if (process.HasExited) throw new InvalidOperationException($"the Payments endpoint exited ({process.ExitCode}): {string.Join("\n", _log)}");
        try
        {
            using var response = await http.GetAsync("/health/ready");
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }, TimeSpan.FromMinutes(2), "the Payments endpoint ready");

    public static async Task Stop(Process process)
    {
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
    }

    void Log(string label, string line)
    {
        _log.Enqueue($"[{label}] {line}");
        while (_log.Count > 200) _log.TryDequeue(out _);
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
