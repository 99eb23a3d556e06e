using IntegrationHub.Adapters.Fhir;
using IntegrationHub.Hosting.Configuration;
using IntegrationHub.Testing;
using Microsoft.Extensions.Configuration;

namespace IntegrationHub.Clinical.Tests;

/// <summary><c>Hub:Clinical</c>: its defaults, and every problem of it named at once before the endpoint starts.</summary>
public sealed class ClinicalOptionsTests : IDisposable
{
    static readonly string Profile = RepositoryFiles.PathOf("docs", "examples", "fhir", "department-patient.profile.json");
    static readonly string NotAProfile = RepositoryFiles.PathOf("docs", "examples", "fhir", "patient.json");
    readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("hub-profiles-");

    static ClinicalOptions From(params (string Key, string Value)[] settings) =>
        ClinicalOptions.From(new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build());

    [Fact]
    public void Defaults_take_a_mebibyte_with_the_adapters_limits_and_no_profiles()
    {
        var options = From();

        Assert.Equal(1024 * 1024, options.MaxRequestBytes);
        Assert.Equal(new FhirLimits(), options.Fhir.Limits);
        Assert.Empty(options.Fhir.ProfilePaths);
    }

    [Fact]
    public void A_folder_of_profiles_and_value_sets_gives_each_of_its_files_to_the_adapter()
    {
        File.Copy(Profile, Path.Combine(_folder.FullName, "department-patient.json"));
        File.WriteAllText(Path.Combine(_folder.FullName, "tests.valueset.json"),
            """{ "resourceType": "ValueSet", "url": "https://hub.example.gov/fhir/ValueSet/tests", "status": "draft" }""");
        File.WriteAllText(Path.Combine(_folder.FullName, "README.txt"), "not a profile, not read");

        var options = From(("Hub:Clinical:Fhir:Profiles:0", _folder.FullName), ("Hub:Clinical:Fhir:MaxDepth", "32"));

        Assert.Equal([Path.Combine(_folder.FullName, "department-patient.json"), Path.Combine(_folder.FullName, "tests.valueset.json")], options.Fhir.ProfilePaths);
        Assert.Equal(32, options.Fhir.Limits.MaxDepth);
    }

    [Fact]
    public void Every_problem_is_named_at_once_with_its_key()
    {
        File.Copy(Profile, Path.Combine(_folder.FullName, "copy.json"));

        var problems = Assert.Throws<HubSettingsException>(() => From(
            ("Hub:Clinical:MaxRequestBytes", "0"),
            ("Hub:Clinical:Fhir:MaxDepth", "0"),
            ("Hub:Clinical:Fhir:MaxStringLength", "long"),
            ("Hub:Clinical:Fhir:Profiles:0", "/no/such/profile.json"),
            ("Hub:Clinical:Fhir:Profiles:1", NotAProfile),
            ("Hub:Clinical:Fhir:Profiles:2", Profile),
            ("Hub:Clinical:Fhir:Profiles:3", _folder.FullName))).Problems;

        Assert.Contains("Hub:Clinical:MaxRequestBytes must be between 1 and Hub:Clinical:Fhir:MaxBytes (67108864)", problems);
        Assert.Contains("Hub:Clinical:Fhir:MaxDepth must be between 1 and 512", problems);
        Assert.Contains("Hub:Clinical:Fhir:MaxStringLength must be a whole number (e.g. 16777216)", problems);
        Assert.Contains("Hub:Clinical:Fhir:Profiles:0: no file or folder /no/such/profile.json", problems);
        Assert.Contains($"Hub:Clinical:Fhir:Profiles: {NotAProfile} holds a Patient, not a StructureDefinition, ValueSet or CodeSystem", problems);
        Assert.Contains($"Hub:Clinical:Fhir:Profiles: {Path.Combine(_folder.FullName, "copy.json")} and {Profile} both define {ClinicalFixture.ProfileUrl}", problems);
        Assert.Equal(6, problems.Count);
    }

    [Fact]
    public async Task Endpoint_with_bad_settings_refuses_to_start_in_one_line_with_exit_code_1()
    {
        var run = await ProgramRun.Run(typeof(Program).Assembly, new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Hub__Auth__DevSigningKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48)),
            ["Hub__Clinical__Fhir__MaxDepth"] = "1000",
            ["Hub__Clinical__Fhir__Profiles__0"] = NotAProfile,
            ["Hub__JsonLogs"] = "false",
        }, TimeSpan.FromSeconds(60));

        Assert.Equal(1, run.ExitCode);
        var line = Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("IntegrationHub.Clinical cannot start: ", line);
        Assert.Contains("Hub:Clinical:Fhir:MaxDepth must be between 1 and 512", line);
        Assert.Contains("not a StructureDefinition", line);
        Assert.Empty(run.StackTraceLines);
    }

    public void Dispose() => _folder.Delete(recursive: true);
}
