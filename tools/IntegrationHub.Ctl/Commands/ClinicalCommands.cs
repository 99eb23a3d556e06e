using System.CommandLine;
using OperationOutcome = Hl7.Fhir.Model.OperationOutcome;
using IntegrationHub.Adapters.Fhir;
using IntegrationHub.Clinical.Fhir;
using IntegrationHub.Clinical.Hl7v2;
using IntegrationHub.Adapters.Hl7v2Fhir;

namespace IntegrationHub.Ctl.Commands;

/// <summary>
/// <c>hubctl translate --from fhir|hl7v2 --to fhir [--format json|xml] [--offset +hh:mm] [--identifier-system A=URI]… [FILE|-]</c> and
/// <c>hubctl validate [--profile FILE]… FILE|-</c>: the Clinical endpoint's FHIR checks, offline, through the FHIR
/// adapter (nothing is sent anywhere). The input's format (JSON or XML) is read from its first character.
/// </summary>
internal static class ClinicalCommands
{
    public static Command CreateTranslate()
    {
        var from = new Option<string>("--from") { Description = "The input's format (fhir, hl7v2)", HelpName = "format", Required = true };
        var to = new Option<string>("--to") { Description = "The output's format (fhir)", HelpName = "format", Required = true };
        var format = new Option<string?>("--format") { Description = "FHIR format of the output (default: the input's; JSON for HL7 v2)", HelpName = "json|xml" };
        format.AcceptOnlyFromAmong("json", "xml");
        var offset = new Option<string?>("--offset")
        {
            Description = "HL7 v2: the offset of v2 times that carry none (e.g. +05:00); without it such a time keeps only its date",
            HelpName = "+hh:mm",
        };
        var systems = new Option<string[]>("--identifier-system")
        {
            Description = "HL7 v2: the Identifier.system of an assigning authority (CX-4), e.g. NADRA=https://nadra.gov.pk/cnic; repeat for several",
            HelpName = "authority=uri",
        };
        var messageType = new Option<string?>("--message-type")
        {
            Description = "To HL7 v2: the message to write (default: the Bundle's event, else ORU^R01 for a DiagnosticReport, else ADT^A04)",
            HelpName = "ADT^A04|ADT^A08|ORU^R01",
        };
        messageType.AcceptOnlyFromAmong([.. FhirToHl7v2.MessageTypes]);
        var input = Input(ArgumentArity.ZeroOrOne);

        var command = new Command("translate",
            "Translate a clinical document offline to stdout (FHIR to FHIR: normalised; HL7 v2 to FHIR: a message Bundle); problems and what was dropped to stderr, an invalid one is not written")
        {
            from, to, format, offset, systems, messageType, input,
        };
        command.Validators.Add(result =>
        {
            if (Translations.Problem(result.GetValue(from), result.GetValue(to)) is { } problem) result.AddError(problem);
            if (result.GetValue(offset) is { } text && Hl7v2MapsOptions.ParseOffset(text) is null) result.AddError($"--offset: '{text}' is not an offset such as +05:00");
            foreach (var pair in result.GetValue(systems) ?? [])
                if (pair.Split('=', 2) is not [{ Length: > 0 }, var uri] || !Uri.TryCreate(uri, UriKind.Absolute, out _))
                    result.AddError($"--identifier-system: '{pair}' is not authority=absolute-uri");
        });
        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(parseResult, async (output, error) =>
        {
            var fhir = NewChecks();
            var maps = new Hl7v2FhirOptions
            {
                DefaultOffset = parseResult.GetValue(offset) is { } text ? Hl7v2MapsOptions.ParseOffset(text) : null,
                IdentifierSystems = (parseResult.GetValue(systems) ?? []).Select(p => p.Split('=', 2))
                    .ToDictionary(p => p[0], p => p[1], StringComparer.OrdinalIgnoreCase),
            };
            var translator = new Hl7v2FhirTranslator(fhir.Adapter, maps, Hl7v2Options.DefaultMaxMessageBytes);
            if (parseResult.GetValue(to) == Translations.Hl7v2)
            {
                var (document, documentFormat) = Read(parseResult.GetValue(input), fhir.Adapter.Limits.MaxBytes);
                var check = fhir.Check(document, documentFormat);
                await WriteProblems(error, check.Outcome);
                if (check.Verdict != FhirVerdict.Valid)
                {
                    await error.WriteLineAsync($"hubctl: {Verdict(check.Verdict)}; nothing written");
                    return ExitCodes.Failed;
                }
                var (message, outcome) = translator.ToHl7v2(check.Resource!, parseResult.GetValue(messageType));
                foreach (var issue in outcome.Issue)
                    await error.WriteLineAsync($"{issue.Severity?.ToString().ToLowerInvariant()} at {string.Join(",", issue.Expression)}: {issue.Details?.Text}");
                if (message is null)
                {
                    await error.WriteLineAsync("hubctl: no HL7 v2 message can be written from it; nothing written");
                    return ExitCodes.Failed;
                }
                await output.WriteAsync(message);
                return ExitCodes.Ok;
            }
            if (parseResult.GetValue(from) == Translations.Hl7v2)
            {
                var message = FhirFiles.Read(parseResult.GetValue(input) ?? "-", Hl7v2Options.DefaultMaxMessageBytes, out var unreadable)
                              ?? throw new HubCtlException(unreadable!, ExitCodes.Failed);
                var v2 = translator.ToFhir(message, parseResult.GetValue(format) == "xml" ? FhirFormat.Xml : FhirFormat.Json, pretty: true);
                foreach (var issue in v2.Outcome.Issue)
                    await error.WriteLineAsync($"{issue.Severity?.ToString().ToLowerInvariant()} at {string.Join(",", issue.Location)}: {issue.Details?.Text}");
                if (v2.Output is null)
                {
                    await error.WriteLineAsync("hubctl: the message cannot be translated to FHIR; nothing written");
                    return ExitCodes.Failed;
                }
                await output.WriteLineAsync(v2.Output);
                return ExitCodes.Ok;
            }
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
