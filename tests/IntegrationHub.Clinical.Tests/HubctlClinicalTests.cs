using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using IntegrationHub.Testing;

namespace IntegrationHub.Clinical.Tests;

/// <summary><c>hubctl translate</c> and <c>hubctl validate</c> as an operator runs them: the built hubctl, offline.</summary>
public sealed class HubctlClinicalTests
{
    static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    static readonly string Patient = RepositoryFiles.PathOf("docs", "examples", "fhir", "patient.json");
    static readonly string InvalidPatient = RepositoryFiles.PathOf("docs", "examples", "fhir", "patient-invalid.json");
    static readonly string Profile = RepositoryFiles.PathOf("docs", "examples", "fhir", "department-patient.profile.json");

    static Task<ProgramOutcome> Hubctl(string[] args, string? input = null) =>
        ProgramRun.Run(typeof(HubctlClinicalTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "HubctlDll").Value!,
            args, new Dictionary<string, string?>(), Patience, input is null ? null : Encoding.UTF8.GetBytes(input));

    [Fact]
    public async Task Translate_writes_the_normalised_resource_in_the_format_asked_and_nothing_else()
    {
        var run = await Hubctl(["translate", "--from", "fhir", "--to", "fhir", "--format", "xml", Patient]);

        Assert.Equal(0, run.ExitCode);
        Assert.Empty(run.Error);
        var xml = XDocument.Parse(run.Output).Root!;
        Assert.Equal(XName.Get("Patient", "http://hl7.org/fhir"), xml.Name);
        Assert.Equal("1990-04-12", xml.Element(XName.Get("birthDate", "http://hl7.org/fhir"))!.Attribute("value")!.Value);
    }

    [Fact]
    public async Task Translate_from_hl7v2_writes_the_FHIR_message_bundle_and_says_what_was_dropped()
    {
        var run = await Hubctl(["translate", "--from", "hl7v2", "--to", "fhir", "--offset", "+05:00",
            "--identifier-system", "NADRA=https://nadra.gov.pk/cnic", RepositoryFiles.PathOf("docs", "examples", "hl7v2", "adt-a04.hl7")]);

        Assert.Equal(0, run.ExitCode);
        var bundle = JsonNode.Parse(run.Output)!;
        Assert.Equal(("Bundle", "message"), ((string?)bundle["resourceType"], (string?)bundle["type"]));
        var resources = bundle["entry"]!.AsArray().Select(e => e!["resource"]!).ToList();
        Assert.Equal("MessageHeader", (string?)resources[0]["resourceType"]);
        Assert.Contains(resources, r => (string?)r["resourceType"] == "Patient");
        Assert.DoesNotContain("error", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Translate_from_hl7v2_of_a_message_the_maps_do_not_carry_exits_1_saying_why()
    {
        var run = await Hubctl(["translate", "--from", "hl7v2", "--to", "fhir", "-"],
            "MSH|^~\\&|ADT|HOSP|HUB|GOV|20261202101500+0500||ADT^A02^ADT_A02|X1|P|2.5.1\rEVN|A02\rPID|1||M1^^^HOSP^MR||KHAN\rPV1|1|I\r");

        Assert.Equal(1, run.ExitCode);
        Assert.Empty(run.Output);
        Assert.Contains("error at MSH-9: ADT^A02 has no FHIR map", run.Error, StringComparison.Ordinal);
        Assert.Empty(run.StackTraceLines);
    }

    [Fact]
    public async Task Translate_from_hl7v2_and_back_gives_a_message_with_the_same_patient()
    {
        var example = RepositoryFiles.PathOf("docs", "examples", "hl7v2", "adt-a04.hl7");
        var bundle = await Hubctl(["translate", "--from", "hl7v2", "--to", "fhir", "--offset", "+05:00", example]);
        Assert.Equal(0, bundle.ExitCode);

        var back = await Hubctl(["translate", "--from", "fhir", "--to", "hl7v2", "-"], bundle.Output);

        Assert.Equal(0, back.ExitCode);
        var parsed = IntegrationHub.Adapters.Hl7v2.Hl7Parser.Parse(Encoding.UTF8.GetBytes(back.Output));
        Assert.Empty(parsed.Problems);
        var original = IntegrationHub.Adapters.Hl7v2.Hl7Parser.Parse(File.ReadAllBytes(example)).Message!;
        Assert.Equal(original.First("PID")![3, 1], parsed.Message!.First("PID")![3, 1]);
        Assert.Equal(original.First("PID")![5, 1], parsed.Message.First("PID")![5, 1]);
        Assert.Equal(original.Msh.ControlId, parsed.Message.Msh.ControlId);
    }

    [Fact]
    public async Task Translate_reads_standard_input_and_keeps_its_format_by_default()
    {
        var run = await Hubctl(["translate", "--from", "fhir", "--to", "fhir", "-"], ClinicalFixture.Example("patient.json"));

        Assert.Equal(0, run.ExitCode);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(ClinicalFixture.Example("patient.json")), JsonNode.Parse(run.Output)), run.Output);
    }

    [Fact]
    public async Task Translate_of_an_invalid_resource_exits_1_with_where_and_why_on_stderr_and_writes_nothing()
    {
        var run = await Hubctl(["translate", "--from", "fhir", "--to", "fhir", InvalidPatient]);

        Assert.Equal(1, run.ExitCode);
        Assert.Empty(run.Output);
        Assert.Matches(@"(?m)^error \S+ at Patient\.gender(\[0\])?: .*unknown-code", run.Error);
        Assert.Matches(@"(?m)^error \S+ at Patient\.birthDate(\[0\])?: .*12/04/1990", run.Error);
        Assert.Contains("hubctl: the resource breaks FHIR's rules; nothing written", run.Error);
        Assert.Empty(run.StackTraceLines);
    }

    [Theory]
    [InlineData("csv", "fhir", "There is no translation from 'csv' to 'fhir'; supported: fhir → fhir, hl7v2 → fhir, fhir → hl7v2")]
    [InlineData("fhir", "csv", "There is no translation from 'fhir' to 'csv'; supported: fhir → fhir, hl7v2 → fhir, fhir → hl7v2")]
    public async Task Translate_between_formats_it_does_not_offer_is_a_usage_error_naming_the_supported(string from, string to, string message)
    {
        var run = await Hubctl(["translate", "--from", from, "--to", to, Patient]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains(message, run.Error);
        Assert.Empty(run.StackTraceLines);
    }

    [Fact]
    public async Task Translate_of_a_file_that_is_not_there_exits_1_in_one_line()
    {
        var run = await Hubctl(["translate", "--from", "fhir", "--to", "fhir", "/no/such/patient.json"]);

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("hubctl: cannot read /no/such/patient.json", Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Fact]
    public async Task Validate_prints_an_outcome_without_errors_and_exits_0_for_a_valid_resource()
    {
        var run = await Hubctl(["validate", Patient]);

        Assert.Equal(0, run.ExitCode);
        Assert.DoesNotContain(Issue.OfJson(run.Output), i => i.IsError);
    }

    [Fact]
    public async Task Validate_with_a_profile_prints_what_it_misses_and_exits_1()
    {
        var run = await Hubctl(["validate", "--profile", Profile, "-"], """{ "resourceType": "Patient", "name": [ { "family": "Example" } ] }""");

        Assert.Equal(1, run.ExitCode);
        var errors = Issue.OfJson(run.Output).Where(i => i.IsError).Select(i => i.Text).ToList();
        Assert.Contains(errors, e => e.Contains("'identifier'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("'birthDate'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Validate_of_xml_prints_the_outcome_in_xml()
    {
        var run = await Hubctl(["validate", "-"], """<Patient xmlns="http://hl7.org/fhir"><gender value="unknown-code"/></Patient>""");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains(Issue.OfXml(run.Output), i => i.IsError && i.Expression!.StartsWith("Patient.gender", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Validate_with_a_profile_file_that_holds_no_profile_exits_1_naming_the_file()
    {
        var run = await Hubctl(["validate", "--profile", Patient, Patient]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"hubctl: --profile: {Patient} holds a Patient, not a StructureDefinition, ValueSet or CodeSystem", run.Error);
    }

    [Fact]
    public async Task Validate_without_a_file_is_a_usage_error()
    {
        var run = await Hubctl(["validate"]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Required argument missing", run.Error);
    }
}
