using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Hl7.Fhir.Model;
using IntegrationHub.Adapters.Fhir;

namespace IntegrationHub.Bench;

/// <summary>
/// The FHIR adapter on one large collection Bundle made of the official R4 examples: typed parse, serialize, and both,
/// in MB/s of the bundle's JSON, beside System.Text.Json reading (JsonDocument) and writing the same bytes; then
/// validation in resources/s. One thread throughout; no broker or database.
/// </summary>
public static class FhirBench
{
    static readonly string[] Scenarios = ["stj-parse+write", "stj-parse", "fhir-parse", "fhir-serialize", "fhir-parse+write"];

    public static BenchResult[] Run(BenchOptions options)
    {
        var examples = ExampleFiles();
        var adapter = new FhirAdapter(new FhirOptions());
        var (bundle, resources) = BuildBundle(adapter, examples, options.FhirMegabytes * 1024 * 1024);
        var json = adapter.SerializeToUtf8(bundle, FhirFormat.Json);
        var megabytes = json.Length / (1024.0 * 1024.0);
        Console.WriteLine($"fhir: bundle of {bundle.Entry.Count} official examples, {megabytes:0.0} MB of JSON");

        var parse = new BenchResult("fhir", "MB/s of bundle JSON", Scenarios);
        // The same runs per CPU-second of the process: on a shared machine, less disturbed by other programs' load.
        var cpu = new BenchResult("fhir-cpu", "MB per CPU-second", Scenarios);
        var run = new Func<byte[], (double, double)>[]
        {
            bytes => Timed(megabytes, () => { using var document = JsonDocument.Parse(bytes); WriteBack(document); }),
            bytes => Timed(megabytes, () => { using var document = JsonDocument.Parse(bytes); }),
            bytes => Timed(megabytes, () => Check(adapter.Parse(bytes, FhirFormat.Json))),
            _ => Timed(megabytes, () => adapter.SerializeToUtf8(bundle, FhirFormat.Json)),
            bytes => Timed(megabytes, () => adapter.SerializeToUtf8(Check(adapter.Parse(bytes, FhirFormat.Json)), FhirFormat.Json)),
        };
        foreach (var scenario in run)
            scenario(json); // warm-up
        for (var round = 0; round < options.Rounds; round++)
        {
            var rates = run.Select(scenario => scenario(json)).ToArray();
            parse.Rounds.Add(rates.Select(r => r.Item1).ToArray());
            cpu.Rounds.Add(rates.Select(r => r.Item2).ToArray());
            Console.WriteLine($"fhir round {round + 1}: " + string.Join(", ", Scenarios.Zip(rates, (s, r) => $"{s} {r.Item1:0.0} ({r.Item2:0.0}/cpu-s)")));
        }
        foreach (var result in new[] { parse, cpu })
            result.Notes.Add($"Bundle: {bundle.Entry.Count} entries, {megabytes:0.0} MB. Typed parse / plain parse (JsonDocument): "
                + $"{BenchResult.FormatRatio(result.Ratio(2, 1))} (target ≥ 0.25x); typed parse / plain parse + write: {BenchResult.FormatRatio(result.Ratio(2, 0))}; "
                + $"typed parse + write / plain parse + write: {BenchResult.FormatRatio(result.Ratio(4, 0))}.");

        var validate = new BenchResult("fhir-validate", "resources/s", ["validate"]);
        var sample = resources.Take(options.FhirValidate).ToList();
        adapter.Validate(sample[0]); // loads and compiles the specification's schemas
        foreach (var resource in sample.Take(50))
            adapter.Validate(resource);
        for (var round = 0; round < options.Rounds; round++)
        {
            var clock = Stopwatch.StartNew();
            foreach (var resource in sample)
                adapter.Validate(resource);
            validate.Rounds.Add([sample.Count / clock.Elapsed.TotalSeconds]);
            Console.WriteLine($"fhir-validate round {round + 1}: {validate.Rounds[^1][0]:0} resources/s");
        }
        validate.Notes.Add($"{sample.Count} resources a round (the bundle's first, each validated on its own), one thread, one adapter.");
        return [parse, cpu, validate];
    }

    /// <summary>MB per wall-clock second and per CPU-second of the process.</summary>
    static (double, double) Timed(double megabytes, System.Action run)
    {
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        run();
        var wall = clock.Elapsed;
        process.Refresh();
        return (megabytes / wall.TotalSeconds, megabytes / (process.TotalProcessorTime - cpuBefore).TotalSeconds);
    }

    static Resource Check(FhirParseResult result) =>
        result.Succeeded ? result.Resource! : throw new InvalidOperationException(result.Outcome.Issue.First().Diagnostics);

    static void WriteBack(JsonDocument document)
    {
        var buffer = new MemoryStream();
        using var writer = new Utf8JsonWriter(buffer);
        document.WriteTo(writer);
    }

    /// <summary>Non-bundle examples of at most 100 KB (clinical and administrative resources mostly), until the bundle is big enough.</summary>
    static (Bundle, List<Resource>) BuildBundle(FhirAdapter adapter, IReadOnlyList<string> files, long targetBytes)
    {
        var resources = new List<Resource>();
        long size = 0;
        foreach (var file in files.Where(f => new FileInfo(f).Length <= 100_000 && !Path.GetFileName(f).StartsWith("Bundle-", StringComparison.Ordinal)))
        {
            var parsed = adapter.Parse(File.ReadAllBytes(file), FhirFormat.Json);
            if (!parsed.Succeeded)
                continue;
            resources.Add(parsed.Resource!);
            size += new FileInfo(file).Length;
        }
        var bundle = new Bundle { Id = "bench", Type = Bundle.BundleType.Collection };
        for (var copy = 0; size * copy < targetBytes || copy == 0; copy++)
            foreach (var resource in resources)
                bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = $"urn:uuid:{Guid.NewGuid()}", Resource = resource });
        return (bundle, resources);
    }

    static IReadOnlyList<string> ExampleFiles()
    {
        var folder = Environment.GetEnvironmentVariable("FHIR_EXAMPLES_DIR") is { Length: > 0 } dir
            ? dir
            : Path.Combine(Repository.Root(), "artifacts", "fhir-examples", "4.0.1");
        var package = Path.Combine(folder, "package");
        if (!Directory.Exists(package))
            throw new InvalidOperationException($"The official R4 examples are not at {package}: run the FHIR adapter's tests once "
                + "(dotnet test tests/IntegrationHub.Adapters.Fhir.Tests -c Release), which fetch them with npm, or set FHIR_EXAMPLES_DIR.");
        return Directory.GetFiles(package, "*.json").Where(f => Path.GetFileName(f) != "package.json").Order(StringComparer.Ordinal).ToList();
    }
}
