namespace IntegrationHub.Testing;

/// <summary>Files of this repository (README, docs, compose files), found from the test's output directory.</summary>
public static class RepositoryFiles
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    public static string Read(params string[] parts) => File.ReadAllText(PathOf(parts));

    static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "IntegrationHub.sln"))) directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException($"No IntegrationHub.sln above {AppContext.BaseDirectory}");
    }
}
