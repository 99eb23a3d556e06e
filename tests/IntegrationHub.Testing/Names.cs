namespace IntegrationHub.Testing;

public static class Names
{
    /// <summary>An endpoint name no other test uses (queue hub.t1a2b3c4d).</summary>
    public static string UniqueEndpoint(string prefix = "T") => prefix + Guid.NewGuid().ToString("N")[..8];
}
