using System.Diagnostics;
using IntegrationHub.Testing;

namespace IntegrationHub.EndToEnd.Tests;

/// <summary>The Dockerfile publishes the all-in-one host: that publish must work, with the host's own settings files.</summary>
public sealed class PublishTests : IDisposable
{
    readonly string _output = Path.Combine(Path.GetTempPath(), "hub-publish-" + Guid.NewGuid().ToString("N")[..8]);

    [Fact]
    public async Task Host_publishes_with_its_own_settings_and_not_those_of_the_endpoints_it_hosts()
    {
        // --no-build: the suite's Release build is there already, and rebuilding would race the tests running it.
        var start = new ProcessStartInfo("dotnet", ["publish", RepositoryFiles.PathOf("endpoints", "IntegrationHub.Host", "IntegrationHub.Host.csproj"),
            "-c", "Release", "--no-build", "-o", _output])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var publish = Process.Start(start)!;
        var output = publish.StandardOutput.ReadToEndAsync();
        var errors = publish.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await publish.WaitForExitAsync(timeout.Token);

        Assert.True(publish.ExitCode == 0, $"dotnet publish failed ({publish.ExitCode}):\n{await output}\n{await errors}");
        Assert.Equal(RepositoryFiles.Read("endpoints", "IntegrationHub.Host", "appsettings.json"), File.ReadAllText(Path.Combine(_output, "appsettings.json")));
        Assert.True(File.Exists(Path.Combine(_output, "IntegrationHub.Host.dll")));
    }

    public void Dispose()
    {
        if (Directory.Exists(_output)) Directory.Delete(_output, recursive: true);
    }
}
