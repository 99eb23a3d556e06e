using System.Collections.Concurrent;
using System.Diagnostics;
using Hl7.Fhir.Model;

namespace IntegrationHub.Adapters.Fhir.Tests.Corpus;

/// <summary>What happened to one example: its parse, its two round trips, and the documented exceptions allowed.</summary>
public sealed record ExampleResult(string File, string? ParseProblem, string? JsonLoss, string? XmlLoss, IReadOnlyList<string>? Exceptions = null)
{
    public bool Parsed => ParseProblem is null;
}

public sealed record ValidationResult(string File, IReadOnlyList<OperationOutcome.IssueComponent> Issues, string? Crash)
{
    public int Errors => Issues.Count(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal);
}

/// <summary>
/// The corpus in <see cref="Slices"/> slices by resource type (the validator compiles a schema per type on first use, so
/// that cost spreads over the slices rather than landing on the first), each run by a test of its own
/// on every core, with one shared adapter as the hub uses it. When the last slice of both kinds is done, the figures of
/// the whole run are complete (<see cref="WhenComplete"/>).
/// </summary>
public sealed class CorpusRun
{
    public const int Slices = 8;

    readonly ConcurrentDictionary<int, (IReadOnlyList<ExampleResult>, TimeSpan)> _roundTrips = new();
    readonly ConcurrentDictionary<int, (IReadOnlyList<ValidationResult>, TimeSpan)> _validations = new();
    int _reported;

    public CorpusRun()
    {
        Examples = new OfficialExamples();
        Adapter = new FhirAdapter(new FhirOptions());
        _slices = new(() => SliceByType(Examples.Files));
    }

    public OfficialExamples Examples { get; }
    public FhirAdapter Adapter { get; }

    public (IReadOnlyList<ExampleResult> Results, TimeSpan Took) RoundTrips(int slice)
    {
        var result = Timed(() => RunAll(Slice(slice), RoundTrip));
        _roundTrips[slice] = result;
        return result;
    }

    public (IReadOnlyList<ValidationResult> Results, TimeSpan Took) Validations(int slice)
    {
        var result = Timed(() => RunAll(Slice(slice), Validate));
        _validations[slice] = result;
        return result;
    }

    /// <summary>Runs <paramref name="report"/> once, with every slice's results in file order, when all slices are done.</summary>
    public void WhenComplete(Action<IReadOnlyList<ExampleResult>, TimeSpan, IReadOnlyList<ValidationResult>, TimeSpan> report)
    {
        if (_roundTrips.Count < Slices || _validations.Count < Slices || Interlocked.Exchange(ref _reported, 1) == 1)
            return;
        var roundTrips = _roundTrips.Values.SelectMany(v => v.Item1).OrderBy(r => r.File, StringComparer.Ordinal).ToList();
        var validations = _validations.Values.SelectMany(v => v.Item1).OrderBy(r => r.File, StringComparer.Ordinal).ToList();
        report(roundTrips, Sum(_roundTrips.Values.Select(v => v.Item2)), validations, Sum(_validations.Values.Select(v => v.Item2)));
    }

    IReadOnlyList<string> Slice(int slice) => _slices.Value[slice];

    readonly Lazy<List<string>[]> _slices;

    /// <summary>
    /// Types largest first, each into the slice with the fewest bytes so far (a file's type is its name's prefix); a type
    /// too big for one slice (Bundle) goes file by file, largest first, so that no slice is much longer than the others.
    /// </summary>
    static List<string>[] SliceByType(IReadOnlyList<string> files)
    {
        var slices = Enumerable.Range(0, Slices).Select(_ => new List<string>()).ToArray();
        var bytes = new long[Slices];
        var sizes = files.ToDictionary(f => f, f => new FileInfo(f).Length);
        var share = sizes.Values.Sum() / Slices / 2;
        var units = files.GroupBy(f => Path.GetFileName(f).Split('-')[0], StringComparer.Ordinal)
            .SelectMany(g => g.Sum(f => sizes[f]) > share ? g.Select(f => new[] { f }) : [g.ToArray()])
            .Select(unit => (Files: unit, Bytes: unit.Sum(f => sizes[f])))
            .OrderByDescending(u => u.Bytes).ThenBy(u => u.Files[0], StringComparer.Ordinal);
        foreach (var (unitFiles, size) in units)
        {
            var smallest = Array.IndexOf(bytes, bytes.Min());
            slices[smallest].AddRange(unitFiles);
            bytes[smallest] += size;
        }
        return slices;
    }

    ExampleResult RoundTrip(string file)
    {
        var name = Path.GetFileName(file);
        var json = File.ReadAllBytes(file);
        var parsed = Adapter.Parse(json, FhirFormat.Json);
        if (!parsed.Succeeded)
            return new ExampleResult(name, Describe(parsed), null, null);

        var viaJson = NormalisedJson.Compare(json, Adapter.SerializeToUtf8(parsed.Resource!, FhirFormat.Json));

        var xml = Adapter.SerializeToUtf8(parsed.Resource!, FhirFormat.Xml);
        var fromXml = Adapter.Parse(xml, FhirFormat.Xml);
        var viaXml = fromXml.Succeeded
            ? NormalisedJson.Compare(json, Adapter.SerializeToUtf8(fromXml.Resource!, FhirFormat.Json), throughXml: true)
            : new NormalisedJson.Comparison("its XML does not parse: " + Describe(fromXml), []);
        return new ExampleResult(name, null, viaJson.Loss, viaXml.Loss, viaJson.Exceptions.Concat(viaXml.Exceptions).Distinct().ToList());
    }

    ValidationResult Validate(string file)
    {
        var name = Path.GetFileName(file);
        var parsed = Adapter.Parse(File.ReadAllBytes(file), FhirFormat.Json);
        if (parsed.Resource is null)
            return new ValidationResult(name, [], "did not parse");
        try
        {
            return new ValidationResult(name, Adapter.Validate(parsed.Resource).Issue, null);
        }
        catch (Exception e)
        {
            return new ValidationResult(name, [], e.ToString());
        }
    }

    static string Describe(FhirParseResult result) =>
        string.Join("; ", result.Outcome.Issue.Select(i => $"{i.Severity} {i.Diagnostics}"));

    static IReadOnlyList<T> RunAll<T>(IReadOnlyList<string> files, Func<string, T> run)
    {
        var results = new T[files.Count];
        Parallel.For(0, files.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i => results[i] = run(files[i]));
        return results;
    }

    static (T, TimeSpan) Timed<T>(Func<T> run)
    {
        var clock = Stopwatch.StartNew();
        var result = run();
        return (result, clock.Elapsed);
    }

    static TimeSpan Sum(IEnumerable<TimeSpan> times) => times.Aggregate(TimeSpan.Zero, (a, b) => a + b);
}
