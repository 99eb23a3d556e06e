using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;
using static Hl7.Fhir.Model.OperationOutcome;

namespace IntegrationHub.Adapters.Fhir.Internals;

/// <summary>Building OperationOutcome issues the one way the adapter reports them.</summary>
static class Issues
{
    public static IssueComponent Error(IssueType code, string diagnostics, string? expression = null, Position? at = null) =>
        Make(IssueSeverity.Error, code, diagnostics, expression, at);

    public static IssueComponent Make(IssueSeverity severity, IssueType code, string diagnostics, string? expression, Position? at)
    {
        var issue = new IssueComponent
        {
            Severity = severity,
            Code = code,
            Diagnostics = at is { } p ? $"{diagnostics} (line {p.Line}, position {p.Column})" : diagnostics,
        };
        if (!string.IsNullOrEmpty(expression))
            issue.Expression = [expression];
        if (at is { } pos)
            issue.Location = [$"line {pos.Line}, position {pos.Column}"];
        return issue;
    }

    public static OperationOutcome Outcome(IEnumerable<IssueComponent> issues)
    {
        var outcome = new OperationOutcome();
        outcome.Issue.AddRange(issues);
        return outcome;
    }

    public static IssueType ParseCode(string code) =>
        EnumUtility.ParseLiteral<IssueType>(code, ignoreCase: true) ?? IssueType.Processing;

    public static bool IsError(IssueComponent issue) => issue.Severity is IssueSeverity.Error or IssueSeverity.Fatal;
}

/// <summary>A place in the input, both 1-based.</summary>
readonly record struct Position(long Line, long Column);
