using System.Reflection;

namespace IntegrationHub.EndToEnd.Tests;

/// <summary>
/// The programs this test project builds and runs as processes: their dll paths, which the test .csproj embeds as
/// <c>[AssemblyMetadata("ChaosEndpointDll" | "HostDll" | "HubctlDll", path)]</c>.
/// </summary>
internal static class BuiltPrograms
{
    /// <summary>The path embedded under <paramref name="key"/>, or null if there is none.</summary>
    public static string? Dll(string key) =>
        typeof(BuiltPrograms).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().SingleOrDefault(a => a.Key == key)?.Value;
}
