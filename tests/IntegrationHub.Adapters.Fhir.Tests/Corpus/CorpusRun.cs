using System.Collections.Concurrent;
using System.Diagnostics;
using Hl7.Fhir.Model;

namespace IntegrationHub.Adapters.Fhir.Tests.Corpus;

/// <summary>What happened to one example: its parse, its two round trips, its validation.</summary>
public sealed record ExampleResult(string File, string? ParseProblem, string? JsonLoss, string? XmlLoss, IReadOnlyList<string>? Exceptions = null)
{
    public bool Parsed => ParseProblem is null;
}

public sealed record ValidationResult(string File, IReadOnlyList<OperationOutcome.IssueComponent> Issues, string? Crash)
{
    public int Errors => Issues.Count(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal);
}

/// <summary>
/// The corpus, parsed and round-tripped once (both corpus tests read the same run), on every core: one shared adapter,
/// as the hub uses it.
/// </summary>
public sealed class CorpusRun
{
    readonly Lazy<(IReadOnlyList<ExampleResult>, TimeSpan)> _roundTrips;
    readonly Lazy<(IReadOnlyList<ValidationResult>, TimeSpan)> _validations;

    public CorpusRun()
    {
        Examples = new OfficialExamples();
        Adapter = new FhirAdapter(new FhirOptions());
        _roundTrips = new(() => Timed(() => RunAll(Examples.Files, RoundTrip)));
        _validations = new(() => Timed(() => RunAll(Examples.Files, Validate)));
    }

    public OfficialExamples Examples { get; }
    public FhirAdapter Adapter { get; }

    public (IReadOnlyList<ExampleResult> Results, TimeSpan Took) RoundTrips => _roundTrips.Value;
    public (IReadOnlyList<ValidationResult> Results, TimeSpan Took) Validations => _validations.Value;

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
        var results = new ConcurrentBag<(int, T)>();
        Parallel.For(0, files.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i => results.Add((i, run(files[i]))));
        return results.OrderBy(r => r.Item1).Select(r => r.Item2).ToList();
    }

    static (T, TimeSpan) Timed<T>(Func<T> run)
    {
        var clock = Stopwatch.StartNew();
        var result = run();
        return (result, clock.Elapsed);
    }
}
