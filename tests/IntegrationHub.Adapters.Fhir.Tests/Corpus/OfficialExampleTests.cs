using Xunit.Abstractions;

namespace IntegrationHub.Adapters.Fhir.Tests.Corpus;

/// <summary>
/// The official R4 examples, in <see cref="CorpusRun.Slices"/> slices so that no test runs long. The tests fail on a
/// parse failure, a round-trip loss or a crash of the validator, never on the validator's findings, which they count.
/// </summary>
public sealed class OfficialExampleTests(CorpusRun corpus, ITestOutputHelper output) : IClassFixture<CorpusRun>
{
    public static TheoryData<int> Slices() => new(Enumerable.Range(0, CorpusRun.Slices));

    [Fact]
    public void The_corpus_is_the_whole_R4_examples_package()
    {
        Assert.True(corpus.Examples.Files.Count >= 5000, $"only {corpus.Examples.Files.Count} example files under {corpus.Examples.Folder}");
    }

    [Theory]
    [MemberData(nameof(Slices))]
    public void Official_examples_parse_and_round_trip_losslessly_in_JSON_and_through_XML(int slice)
    {
        var (results, took) = corpus.RoundTrips(slice);
        output.WriteLine($"slice {slice}: {results.Count(r => r.Parsed)}/{results.Count} parsed, {results.Count(r => r.JsonLoss is null && r.Parsed)} lossless in JSON, "
            + $"{results.Count(r => r.XmlLoss is null && r.Parsed)} through XML, in {took.TotalSeconds:0.0} s");
        WriteReportWhenComplete();

        var problems = results.Where(r => !r.Parsed).Select(r => $"{r.File} does not parse: {r.ParseProblem}")
            .Concat(results.Where(r => r.JsonLoss is not null).Select(r => $"{r.File} JSON round trip: {r.JsonLoss}"))
            .Concat(results.Where(r => r.XmlLoss is not null).Select(r => $"{r.File} JSON → XML → JSON: {r.XmlLoss}"));
        AssertNone(problems);
    }

    [Theory]
    [MemberData(nameof(Slices))]
    public void Validation_runs_over_the_official_examples_without_a_crash(int slice)
    {
        var (results, took) = corpus.Validations(slice);
        output.WriteLine($"slice {slice}: validated {results.Count} in {took.TotalSeconds:0.0} s: {results.Count(r => r.Crash is null && r.Errors == 0)} without errors, "
            + $"{results.Sum(r => r.Errors)} errors in all");
        WriteReportWhenComplete();

        AssertNone(results.Where(r => r.Crash is not null).Select(r => $"{r.File}: {r.Crash}"));
    }

    /// <summary>
    /// After the last slice: the figures of the whole run in the test output, and into docs/conformance.md only when
    /// WRITE_CONFORMANCE=1, so that a CI run never changes the checkout.
    /// </summary>
    void WriteReportWhenComplete() => corpus.WhenComplete((roundTrips, roundTripTime, validations, validationTime) =>
    {
        var report = ConformanceReport.Write(roundTrips, roundTripTime, validations, validationTime);
        output.WriteLine(report);
        if (Environment.GetEnvironmentVariable("WRITE_CONFORMANCE") == "1")
            File.WriteAllText(Path.Combine(Repository.Root, "docs", "conformance.md"), report);
    });

    void AssertNone(IEnumerable<string> problems)
    {
        var list = problems.ToList();
        foreach (var problem in list.Take(50))
            output.WriteLine(problem);
        Assert.True(list.Count == 0, $"{list.Count} examples failed; the first: {list.FirstOrDefault()}");
    }
}
