using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Xunit.Abstractions;

namespace IntegrationHub.Adapters.Fhir.Tests;

/// <summary>
/// Small invalid resources (Golden/*.json) and the OperationOutcome each must give (Golden/*.outcome.json): parse, then
/// validate. Every expected issue must come out with its severity, code and expression, and no error that is not
/// expected may; extra warnings are allowed (the validator's notes on terminology it cannot reach).
/// </summary>
public sealed class GoldenValidationTests(AdapterFixture fixture, ITestOutputHelper output) : IClassFixture<AdapterFixture>
{
    [Theory]
    [InlineData("missing-required-element")]
    [InlineData("wrong-type")]
    [InlineData("bad-code-required-binding")]
    [InlineData("broken-invariant")]
    [InlineData("dangling-reference")]
    [InlineData("profile-violated")]
    public void Invalid_resource_gives_the_expected_issues(string name)
    {
        var actual = Outcome(name);
        foreach (var issue in actual.Issue)
            output.WriteLine(Describe(issue) + " | " + issue.Diagnostics);
        var expected = new FhirJsonDeserializer().Deserialize<OperationOutcome>(File.ReadAllText(Golden($"{name}.outcome.json")));

        var missing = expected.Issue.Where(e => !actual.Issue.Any(a => Matches(e, a))).Select(Describe).ToList();
        var unexpected = actual.Issue.Where(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal)
            .Where(a => !expected.Issue.Any(e => Matches(e, a))).Select(Describe).ToList();
        Assert.True(missing.Count == 0 && unexpected.Count == 0,
            $"missing: [{string.Join("; ", missing)}]; unexpected errors: [{string.Join("; ", unexpected)}]");
    }

    [Fact]
    public void A_valid_resource_gives_no_error()
    {
        var parsed = fixture.Adapter.Parse("""{"resourceType":"Patient","id":"ok","gender":"female","birthDate":"1970-01-01","name":[{"family":"Rao"}]}"""u8, FhirFormat.Json);
        Assert.True(parsed.Succeeded);
        Assert.DoesNotContain(fixture.Adapter.Validate(parsed.Resource!).Issue, i => i.Severity is OperationOutcome.IssueSeverity.Error);
    }

    [Fact]
    public void A_profile_given_by_url_is_applied_even_when_the_resource_does_not_declare_it()
    {
        var parsed = fixture.Adapter.Parse("""{"resourceType":"Patient","id":"p","name":[{"family":"Rao"}]}"""u8, FhirFormat.Json);
        var outcome = fixture.Adapter.Validate(parsed.Resource!, [AdapterFixture.DepartmentProfile]);
        Assert.Contains(outcome.Issue, i => i.Severity == OperationOutcome.IssueSeverity.Error && i.Expression.Any(e => e?.StartsWith("Patient", StringComparison.Ordinal) == true) && (i.Details?.Text ?? "").Contains("identifier", StringComparison.Ordinal));
        Assert.DoesNotContain(fixture.Adapter.Validate(parsed.Resource!).Issue, i => i.Severity == OperationOutcome.IssueSeverity.Error);
    }

    [Fact]
    public void An_unknown_profile_url_is_an_issue_not_an_exception()
    {
        var parsed = fixture.Adapter.Parse("""{"resourceType":"Patient","id":"p"}"""u8, FhirFormat.Json);
        var outcome = fixture.Adapter.Validate(parsed.Resource!, ["http://nowhere.example.org/StructureDefinition/missing"]);
        Assert.Contains(outcome.Issue, i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal);
    }

    [Theory]
    [InlineData("weight", false)]
    [InlineData("blood-sugar", true)]
    public void A_profile_binding_to_a_department_value_set_given_as_data_checks_the_code(string code, bool refused)
    {
        var options = new FhirOptions();
        options.ProfilePaths.Add(Golden("terminology"));
        var adapter = new FhirAdapter(options);
        var observation = adapter.Parse(System.Text.Encoding.UTF8.GetBytes($$$"""
            {"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://hub.example.org/fhir/CodeSystem/department-tests","code":"{{{code}}}"}]}}
            """), FhirFormat.Json).Resource!;

        var outcome = adapter.Validate(observation, ["http://hub.example.org/fhir/StructureDefinition/department-observation"]);

        foreach (var issue in outcome.Issue)
            output.WriteLine(Describe(issue));
        var errors = outcome.Issue.Where(i => i.Severity == OperationOutcome.IssueSeverity.Error).ToList();
        if (refused)
            Assert.Contains(errors, i => i.Code == OperationOutcome.IssueType.CodeInvalid && i.Expression.Single()!.StartsWith("Observation.code", StringComparison.Ordinal));
        else
            Assert.Empty(errors);
    }

    OperationOutcome Outcome(string name)
    {
        var parsed = fixture.Adapter.Parse(File.ReadAllBytes(Golden($"{name}.json")), FhirFormat.Json);
        Assert.NotNull(parsed.Resource);
        var outcome = new OperationOutcome();
        outcome.Issue.AddRange(parsed.Outcome.Issue);
        outcome.Issue.AddRange(fixture.Adapter.Validate(parsed.Resource!).Issue);
        return outcome;
    }

    /// <summary>Same severity, code and expression; the expected diagnostics, when given, is a part of the actual text.</summary>
    static bool Matches(OperationOutcome.IssueComponent expected, OperationOutcome.IssueComponent actual) =>
        expected.Severity == actual.Severity && expected.Code == actual.Code
        && expected.Expression.SequenceEqual(actual.Expression)
        && (expected.Diagnostics is null || $"{actual.Details?.Text} {actual.Diagnostics}".Contains(expected.Diagnostics, StringComparison.Ordinal));

    static string Describe(OperationOutcome.IssueComponent issue) =>
        $"{issue.Severity} {issue.Code} at {string.Join(",", issue.Expression)}: {issue.Details?.Text ?? issue.Diagnostics}";

    static string Golden(string file) => Path.Combine(AppContext.BaseDirectory, "Golden", file);
}

/// <summary>One adapter for a test class, with the department profile of Golden/ added as data.</summary>
public sealed class AdapterFixture
{
    public const string DepartmentProfile = "http://hub.example.org/fhir/StructureDefinition/department-patient";

    public AdapterFixture()
    {
        var options = new FhirOptions();
        options.ProfilePaths.Add(Path.Combine(AppContext.BaseDirectory, "Golden", "profile-department-patient.json"));
        Adapter = new FhirAdapter(options);
    }

    public FhirAdapter Adapter { get; }
}
