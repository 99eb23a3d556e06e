using Hl7.Fhir.Model;

namespace IntegrationHub.Clinical.Fhir;

/// <summary>An OperationOutcome's issues in words: where (the FHIRPath expression) and why.</summary>
public static class FhirIssues
{
    public static bool IsError(OperationOutcome.IssueComponent issue) =>
        issue.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal;

    public static bool HasErrors(OperationOutcome outcome) => outcome.Issue.Any(IsError);

    /// <summary><c>error invalid at Patient.birthDate: …</c>: severity, code, location and the diagnostics.</summary>
    public static string Describe(OperationOutcome.IssueComponent issue)
    {
        var where = issue.Expression.FirstOrDefault() ?? issue.Location.FirstOrDefault();
        // The validator puts its message in details and a trace of the definitions it followed in diagnostics.
        var why = issue.Details?.Text ?? issue.Diagnostics ?? "(no diagnostics)";
        return $"{Code(issue.Severity)} {Code(issue.Code)}{(where is null ? "" : " at " + where)}: {why}";
    }

    static string Code<TEnum>(TEnum? value) where TEnum : struct, Enum =>
        value is { } v ? Hl7.Fhir.Utility.EnumUtility.GetLiteral(v) ?? v.ToString().ToLowerInvariant() : "unknown";
}
