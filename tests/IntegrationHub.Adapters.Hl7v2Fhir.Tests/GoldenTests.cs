using Hl7.Fhir.Model;
using IntegrationHub.Adapters.Fhir;

namespace IntegrationHub.Adapters.Hl7v2Fhir.Tests;

/// <summary>One golden pair per message kind: the v2 message in, the FHIR message Bundle out, and what was dropped.</summary>
public sealed class GoldenTests
{
    public static TheoryData<string> Messages() => [.. Golden.Names()];

    [Theory]
    [MemberData(nameof(Messages))]
    public void Message_maps_to_its_golden_bundle(string name)
    {
        var mapping = Hl7v2ToFhir.Map(Golden.Message(name), Golden.Options);

        Assert.True(mapping.Succeeded, string.Join("\n", mapping.Issues));
        Golden.Check(name + ".fhir.json", Golden.Fhir.Serialize(mapping.Bundle!, FhirFormat.Json, pretty: true) + "\n");
        Golden.Check(name + ".dropped.txt", string.Concat(mapping.Issues.Select(i => i + "\n")));
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void Mapped_bundle_is_valid_FHIR_R4(string name)
    {
        var mapping = Hl7v2ToFhir.Map(Golden.Message(name), Golden.Options);

        var outcome = Golden.Fhir.Validate(mapping.Bundle!);
        var errors = outcome.Issue.Where(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal)
            .Select(i => $"{string.Join(",", i.Expression)}: {i.Details?.Text ?? i.Diagnostics}").ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }
}
