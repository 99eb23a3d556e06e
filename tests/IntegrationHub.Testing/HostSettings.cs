namespace IntegrationHub.Testing;

/// <summary>Settings of the all-in-one host's Development configuration that tests running it in parallel override.</summary>
public static class HostSettings
{
    /// <summary>The demo department's MLLP listener (port 2575 in the README): tests set 0 (a free port) or a port of their own.</summary>
    public const string DemoMllpPort = "Hub:Clinical:Hl7v2:Mllp:Listeners:demo:Port";

    /// <summary><see cref="DemoMllpPort"/> as an environment variable, for a host run as a process.</summary>
    public static string DemoMllpPortVariable => DemoMllpPort.Replace(":", "__", StringComparison.Ordinal);
}
