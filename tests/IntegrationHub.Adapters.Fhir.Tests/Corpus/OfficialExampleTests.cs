using Xunit.Abstractions;

namespace IntegrationHub.Adapters.Fhir.Tests.Corpus;

public sealed class OfficialExampleTests(CorpusRun corpus, ITestOutputHelper output) : IClassFixture<CorpusRun>
{
    [Fact]
    public void The_corpus_is_the_whole_R4_examples_package()
    {
        Assert.True(corpus.Examples.Files.Count >= 5000, $"only {corpus.Examples.Files.Count} example files under {corpus.Examples.Folder}");
    }

    [Fact]
    public void Every_official_example_parses()
    {
        var (results, took) = corpus.RoundTrips;
        output.WriteLine($"{results.Count(r => r.Parsed)}/{results.Count} parsed (parse and both round trips: {took.TotalSeconds:0.0} s)");
        AssertNone(results.Where(r => !r.Parsed).Select(r => $"{r.File}: {r.ParseProblem}"));
    }

    [Fact]
    public void Every_official_example_round_trips_losslessly_in_JSON()
    {
        var (results, _) = corpus.RoundTrips;
        AssertNone(results.Where(r => r.JsonLoss is not null).Select(r => $"{r.File}: {r.JsonLoss}"));
    }

    [Fact]
    public void Every_official_example_round_trips_losslessly_through_XML()
    {
        var (results, _) = corpus.RoundTrips;
        AssertNone(results.Where(r => r.XmlLoss is not null).Select(r => $"{r.File}: {r.XmlLoss}"));
    }

    [Fact]
    public void Validation_runs_over_every_official_example_without_a_crash()
    {
        var (results, took) = corpus.Validations;
        output.WriteLine($"validated {results.Count} in {took.TotalSeconds:0.0} s: {results.Count(r => r.Crash is null && r.Errors == 0)} without errors, {results.Sum(r => r.Errors)} errors in all");
        AssertNone(results.Where(r => r.Crash is not null).Select(r => $"{r.File}: {r.Crash}"));
    }

    /// <summary>
    /// The figures of the run, always in the test output; into docs/conformance.md only when WRITE_CONFORMANCE=1, so that
    /// a CI run never changes the checkout.
    /// </summary>
    [Fact]
    public void The_conformance_report_covers_every_example()
    {
        var (roundTrips, roundTripTime) = corpus.RoundTrips;
        var (validations, validationTime) = corpus.Validations;
        var report = ConformanceReport.Write(roundTrips, roundTripTime, validations, validationTime);
        output.WriteLine(report);
        Assert.Contains($"| parse (no error issue) | {roundTrips.Count(r => r.Parsed)} | {corpus.Examples.Files.Count} |", report);
        if (Environment.GetEnvironmentVariable("WRITE_CONFORMANCE") == "1")
            File.WriteAllText(Path.Combine(Repository.Root, "docs", "conformance.md"), report);
    }

    void AssertNone(IEnumerable<string> problems)
    {
        var list = problems.ToList();
        foreach (var problem in list.Take(50))
            output.WriteLine(problem);
        Assert.True(list.Count == 0, $"{list.Count} examples failed; the first: {list.FirstOrDefault()}");
    }
}
