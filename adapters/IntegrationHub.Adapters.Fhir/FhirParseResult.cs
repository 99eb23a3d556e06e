using Hl7.Fhir.Model;

namespace IntegrationHub.Adapters.Fhir;

/// <summary>
/// What a parse gave: the resource (null when nothing usable came out) and every problem met on the way. A resource with
/// error issues is a best-effort partial result, never to be trusted as the input.
/// </summary>
public sealed record FhirParseResult(Resource? Resource, OperationOutcome Outcome)
{
    public bool Succeeded => Resource is not null && !Outcome.Issue.Any(i =>
        i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal);
}
