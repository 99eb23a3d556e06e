using Hl7.Fhir.Model;
using IntegrationHub.Adapters.Fhir;
using IntegrationHub.Adapters.Hl7v2;

namespace IntegrationHub.Adapters.Hl7v2Fhir.Tests;

/// <summary>FHIR → v2 for ADT^A04, ADT^A08 and ORU^R01: v2 → FHIR → v2 keeps every mapped field, and writes valid v2.</summary>
public sealed class RoundTripTests
{
    static readonly FhirToHl7v2Options Back = new() { Maps = Golden.Options };

    [Theory]
    [InlineData("adt-a04")]
    [InlineData("adt-a08")]
    [InlineData("oru-r01")]
    [InlineData("adt-a28")]
    public void V2_to_FHIR_to_v2_keeps_every_mapped_field(string name)
    {
        var first = Hl7v2ToFhir.Map(Golden.Message(name), Golden.Options);
        var type = name == "adt-a28" ? "ADT^A04" : null;

        var written = FhirToHl7v2.Write(first.Bundle!, Back with { MessageType = type });
        Assert.True(written.Succeeded, string.Join("\n", written.Issues));
        var reparsed = Hl7Parser.Parse(written.Message!);
        Assert.Empty(reparsed.Problems);
        var again = Hl7v2ToFhir.Map(reparsed.Message!, Golden.Options);

        // The same Bundle, MessageHeader aside when the trigger changed (A28 written as A04).
        Assert.Equal(Json(first.Bundle!, skipHeader: type is not null), Json(again.Bundle!, skipHeader: type is not null));
    }

    [Fact]
    public void A_patient_and_encounter_from_any_FHIR_source_become_an_ADT_A04_the_intake_accepts()
    {
        var patient = new Patient
        {
            Id = "p1",
            Identifier = [new Identifier("https://nadra.gov.pk/cnic", "35202-1234567-1") { Type = new CodeableConcept("http://terminology.hl7.org/CodeSystem/v2-0203", "NI") }],
            Name = [new HumanName { Family = "Khan|Raza", Given = ["Ayesha"] }],
            Gender = AdministrativeGender.Female,
            BirthDate = "1987-04-12",
        };
        var bundle = new Bundle
        {
            Type = Bundle.BundleType.Collection,
            Entry = [new Bundle.EntryComponent { FullUrl = "urn:uuid:p1", Resource = patient }],
        };

        var written = FhirToHl7v2.Write(bundle, new FhirToHl7v2Options { Maps = Golden.Options, ControlId = "C-1", SendingApplication = "HUB", SendingFacility = "GOV" });

        var parsed = Hl7Parser.Parse(written.Message!);
        Assert.Empty(parsed.Problems);
        var pid = parsed.Message!.First("PID")!;
        Assert.Equal("Khan|Raza", pid[5, 1]);
        Assert.Equal("35202-1234567-1", pid[3, 1]);
        Assert.Equal("NADRA", pid[3, 4]);
        Assert.Equal("ADT^A04^ADT_A01", parsed.Message.Msh.MessageType.Raw.ToString());
        Assert.NotNull(parsed.Message.First("PV1"));
    }

    [Fact]
    public void A_bundle_without_a_patient_identifier_is_refused_saying_why()
    {
        var bundle = new Bundle { Entry = [new Bundle.EntryComponent { FullUrl = "urn:uuid:p", Resource = new Patient { Id = "p" } }] };

        var written = FhirToHl7v2.Write(bundle);

        Assert.False(written.Succeeded);
        Assert.Contains(written.Issues, i => i.Location == "Patient.identifier");
    }

    static string Json(Bundle bundle, bool skipHeader)
    {
        var copy = (Bundle)bundle.DeepCopy();
        if (skipHeader)
        {
            copy.Entry.RemoveAll(e => e.Resource is MessageHeader);
            copy.Id = null;
            copy.Identifier = null;
        }
        return Golden.Fhir.Serialize(copy, FhirFormat.Json, pretty: true);
    }
}
