using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.Hosting.Development;

/// <summary>
/// The development simulators switch: with <c>Hub:Simulators:Enabled</c>, every endpoint of the process starts the
/// simulators of the external systems it talks to (<see cref="HubEndpoint.AddDevelopmentSimulators"/>) and maps their
/// routes (<see cref="HubEndpoint.MapDevelopmentSimulators"/>).
/// </summary>
public static class DevelopmentSimulators
{
    public const string EnabledKey = "Hub:Simulators:Enabled";

    /// <summary>Whether the simulators run in this process: asked for, and allowed where it runs (<see cref="DevelopmentConveniences"/>).</summary>
    public static bool On(IConfiguration configuration, IHostEnvironment environment) =>
        configuration.GetValue<bool>(EnabledKey) && DevelopmentConveniences.Allowed(configuration, environment);
}

/// <summary>
/// What makes development easy and production unsafe — the shared dev signing key, simulators, insecure callback URLs
/// — is refused outside the Development environment: the process does not start and says which setting to remove.
/// <c>Hub:Development:AllowOutsideDevelopment=true</c> lets them run anyway (a test bed, a benchmark), with a warning at
/// every start. Endpoints name theirs in <see cref="HubEndpoint.DevelopmentConveniences"/>.
/// </summary>
public static class DevelopmentConveniences
{
    public const string OverrideKey = "Hub:Development:AllowOutsideDevelopment";

    public static bool Allowed(IConfiguration configuration, IHostEnvironment environment) =>
        environment.IsDevelopment() || configuration.GetValue<bool>(OverrideKey);

    /// <summary>The conveniences Hosting itself has: the dev signing key and the simulators.</summary>
    public static IEnumerable<string> OfHosting(IConfiguration configuration)
    {
        if (!string.IsNullOrEmpty(configuration["Hub:Auth:DevSigningKey"]) || !string.IsNullOrEmpty(configuration["Hub:Auth:DevSigningKeyFile"]))
            yield return "Hub:Auth:DevSigningKey / Hub:Auth:DevSigningKeyFile (tokens checked against a shared key anyone holding it can sign with)";
        if (configuration.GetValue<bool>(DevelopmentSimulators.EnabledKey))
            yield return $"{DevelopmentSimulators.EnabledKey} (simulated external systems and department receivers)";
    }

    /// <summary>The problems (outside Development without the override) of the conveniences in use; with the override, a warning each.</summary>
    internal static IEnumerable<string> Problems(IEnumerable<string> inUse, IConfiguration configuration, IHostEnvironment environment, ILogger logger)
    {
        var used = inUse.ToList();
        if (used.Count == 0 || environment.IsDevelopment()) return [];
        if (configuration.GetValue<bool>(OverrideKey))
        {
            foreach (var convenience in used)
                logger.LogWarning("DEVELOPMENT CONVENIENCE OUTSIDE DEVELOPMENT ({Environment}, {Override}=true): {Convenience}",
                    environment.EnvironmentName, OverrideKey, convenience);
            return [];
        }
        return used.Select(convenience =>
            $"{convenience} is for development only and is refused in the {environment.EnvironmentName} environment: remove it " +
            $"(or set {OverrideKey}=true to run it anyway, never in production)").ToList();
    }
}
