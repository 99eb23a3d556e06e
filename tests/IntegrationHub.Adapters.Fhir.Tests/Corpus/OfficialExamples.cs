using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;

namespace IntegrationHub.Adapters.Fhir.Tests.Corpus;

/// <summary>
/// The official R4 examples (npm package hl7.fhir.r4.examples@4.0.1), fetched with npm once and cached under the
/// repository's artifacts/ (git-ignored), or FHIR_EXAMPLES_DIR when set.
/// </summary>
public sealed class OfficialExamples
{
    public const string Package = "hl7.fhir.r4.examples@4.0.1";

    public OfficialExamples()
    {
        Folder = Environment.GetEnvironmentVariable("FHIR_EXAMPLES_DIR") is { Length: > 0 } dir
            ? dir
            : Path.Combine(Repository.Root, "artifacts", "fhir-examples", "4.0.1");
        if (!File.Exists(Path.Combine(Folder, ".complete")))
            Fetch(Folder);
        Files = Directory.GetFiles(Path.Combine(Folder, "package"), "*.json")
            .Where(f => !Path.GetFileName(f).StartsWith('.') && Path.GetFileName(f) != "package.json")
            .Order(StringComparer.Ordinal)
            .ToArray();
    }

    public string Folder { get; }

    /// <summary>Every example resource file, in name order.</summary>
    public IReadOnlyList<string> Files { get; }

    static void Fetch(string folder)
    {
        var staging = folder + ".staging-" + Environment.ProcessId;
        Directory.CreateDirectory(staging);
        try
        {
            var tarball = Npm.Pack(Package, staging);
            using (var gzip = new GZipStream(File.OpenRead(tarball), CompressionMode.Decompress))
                TarFile.ExtractToDirectory(gzip, staging, overwriteFiles: true);
            File.Delete(tarball);
            File.WriteAllText(Path.Combine(staging, ".complete"), Package);
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
            Directory.Move(staging, folder);
        }
        catch when (File.Exists(Path.Combine(folder, ".complete")))
        {
            // Another test process fetched it at the same time.
        }
        finally
        {
            if (Directory.Exists(staging))
                Directory.Delete(staging, recursive: true);
        }
    }
}

static class Npm
{
    public static string Pack(string package, string destination)
    {
        var start = new ProcessStartInfo("npm", ["pack", package, "--silent", "--pack-destination", destination])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        Process npm;
        try
        {
            npm = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException(
                $"The FHIR corpus tests need npm (Node.js) to fetch {package}; install it (Debian: apt-get install npm) or set FHIR_EXAMPLES_DIR to an extracted copy. ({e.Message})", e);
        }
        using (npm)
        {
            var stdout = npm.StandardOutput.ReadToEndAsync();
            var stderr = npm.StandardError.ReadToEndAsync();
            if (!npm.WaitForExit(TimeSpan.FromMinutes(3)))
            {
                npm.Kill(entireProcessTree: true);
                throw new TimeoutException($"npm pack {package} did not finish in 3 minutes");
            }
            if (npm.ExitCode != 0)
                throw new InvalidOperationException($"npm pack {package} failed ({npm.ExitCode}): {stderr.Result}");
            var name = stdout.Result.Trim().Split('\n')[^1].Trim();
            return Path.Combine(destination, name);
        }
    }
}

static class Repository
{
    public static string Root { get; } = Find();

    static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "IntegrationHub.sln")))
                return dir.FullName;
        throw new InvalidOperationException("IntegrationHub.sln not found above " + AppContext.BaseDirectory);
    }
}
