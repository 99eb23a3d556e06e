using System.Security.Cryptography;

namespace IntegrationHub.Hosting.Security;

/// <summary>
/// The development signing key kept in a file outside the repository (<c>Hub:Auth:DevSigningKeyFile</c>, by
/// default <c>~/.integrationhub/dev-signing-key</c> in the host's Development settings), created with a random key
/// the first time, readable by its owner only; <c>hubctl token</c> reads the same file.
/// </summary>
public static class DevKeyFile
{
    public static string DefaultPath => Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".integrationhub", "dev-signing-key");

    public static string Expand(string path) =>
        path.StartsWith("~/", StringComparison.Ordinal)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path[2..])
            : path;

    public static string ReadOrCreate(string path)
    {
        path = Expand(path);
        if (File.Exists(path))
            return File.ReadAllText(path).Trim();

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
        using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
        using (var writer = new StreamWriter(file))
            writer.Write(key);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return key;
    }

    public static string? ReadIfExists(string path)
    {
        path = Expand(path);
        return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
    }
}
