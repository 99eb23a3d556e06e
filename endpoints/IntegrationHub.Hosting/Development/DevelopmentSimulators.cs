namespace IntegrationHub.Hosting.Development;

/// <summary>
/// The development simulators switch: with <c>Hub:Simulators:Enabled</c>, every endpoint of the process starts the
/// simulators of the external systems it talks to (<see cref="HubEndpoint.AddDevelopmentSimulators"/>) and maps their
/// routes (<see cref="HubEndpoint.MapDevelopmentSimulators"/>).
/// </summary>
public static class DevelopmentSimulators
{
    public const string EnabledKey = "Hub:Simulators:Enabled";
}
