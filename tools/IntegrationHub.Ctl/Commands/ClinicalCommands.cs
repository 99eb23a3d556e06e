using System.CommandLine;
using OperationOutcome = Hl7.Fhir.Model.OperationOutcome;
using IntegrationHub.Adapters.Fhir;
using IntegrationHub.Clinical.Fhir;

namespace IntegrationHub.Ctl.Commands;

/// <summary>
/// <c>hubctl translate --from fhir --to fhir [--format json|xml] [FILE|-]</c> and
/// <c>hubctl validate [--profile FILE]… FILE|-</c>: the Clinical endpoint's FHIR checks, offline, through the FHIR
/// adapter (nothing is sent anywhere). The input's format (JSON or XML) is read from its first character.
/// </summary>
internal static class ClinicalCommands
{
    public static Command CreateTranslate()
    {
        var from = new Option<string>("--from") { Description = "The input's format (fhir)", HelpName = "format", Required = true };
        var to = new Option<string>("--to") { Description = "The output's format (fhir)", HelpName = "format", Required = true };
        var format = new Option<string?>("--format") { Description = "FHIR format of the output (default: the input's)", HelpName = "json|xml" };
        format.AcceptOnlyFromAmong("json", "xml");
        var input = Input(ArgumentArity.ZeroOrOne);

        var command = new Command("translate",
            "Translate a clinical document offline (FHIR to FHIR: normalised) to stdout; problems to stderr, an invalid one is not written")
        {
            from, to, format, input,
        };
        command.Validators.Add(result =>
        {
            if (Translations.Problem(result.GetValue(from), result.GetValue(to)) is { } problem) result.AddError(problem);
        });
        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(parseResult, async (output, error) =>
        {
            var fhir = NewChecks();
            var (content, inputFormat) = Read(parseResult.GetValue(input), fhir.Adapter.Limits.MaxBytes);
            var outputFormat = parseResult.GetValue(format) == "xml" ? FhirFormat.Xml : parseResult.GetValue(format) == "json" ? FhirFormat.Json : inputFormat;
            var translation = fhir.Translate(content, inputFormat, outputFormat, pretty: true);
            await WriteProblems(error, translation.Outcome);
            if (translation.Output is null)
            {
                await error.WriteLineAsync($"hubctl: {Verdict(translation.Verdict)}; nothing written");
                return ExitCodes.Failed;
            }
            await output.WriteLineAsync(translation.Output);
            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }

    public static Command CreateValidate()
    {
        var profiles = new Option<string[]>("--profile")
        {
            Description = "A profile (StructureDefinition, JSON or XML) to validate against too, or a ValueSet or CodeSystem it binds to; repeat for several",
            HelpName = "file",
        };
        var input = Input(ArgumentArity.ExactlyOne);

        var command = new Command("validate", "Validate a FHIR resource offline and print its OperationOutcome (exit code 1 when it has errors)")
        {
            profiles, input,
        };
        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(parseResult, async (output, _) =>
        {
            var fhir = NewChecks();
            var urls = new List<string>();
            foreach (var file in parseResult.GetValue(profiles) ?? [])
            {
                var (resource, url) = FhirFiles.ReadConformanceResource(fhir.Adapter, file, out var problem)
                                      ?? throw new HubCtlException($"--profile: {problem}", ExitCodes.Failed);
                fhir.Adapter.AddConformanceResource(resource);
                if (resource is Hl7.Fhir.Model.StructureDefinition)
                    urls.Add(url);
            }
            var (content, format) = Read(parseResult.GetValue(input), fhir.Adapter.Limits.MaxBytes);
            var check = fhir.Check(content, format, urls);
            await output.WriteLineAsync(fhir.Serialize(check.Outcome, format, pretty: true));
            return check.Verdict == FhirVerdict.Valid ? ExitCodes.Ok : ExitCodes.Failed;
        }, cancellationToken));
        return command;
    }

    static Argument<string?> Input(ArgumentArity arity) => new("file")
    {
        Description = arity.MinimumNumberOfValues == 0 ? "The document to read: a file, or - (the default) for standard input" : "The document to read: a file, or - for standard input",
        Arity = arity,
    };

    static FhirChecks NewChecks() => new(new FhirAdapter(new FhirOptions()));

    static (byte[] Content, FhirFormat Format) Read(string? path, long maxBytes) =>
        FhirFiles.Read(path ?? "-", maxBytes, out var problem) is { } content
            ? (content, FhirFiles.Sniff(content))
            : throw new HubCtlException(problem!, ExitCodes.Failed);

    /// <summary>Every error and warning, one line each: severity, code, where and why.</summary>
    static async Task WriteProblems(TextWriter error, OperationOutcome outcome)
    {
        foreach (var issue in outcome.Issue.Where(i => i.Severity is not OperationOutcome.IssueSeverity.Information))
            await error.WriteLineAsync(FhirIssues.Describe(issue));
    }

    static string Verdict(FhirVerdict verdict) => verdict switch
    {
        FhirVerdict.Invalid => "the resource breaks FHIR's rules",
        FhirVerdict.Malformed => "the resource is not well-formed FHIR",
        _ => "the input holds no FHIR resource",
    };
}
