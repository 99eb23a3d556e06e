using Hl7.Fhir.Model;
using IntegrationHub.Adapters.Hl7v2;

namespace IntegrationHub.Adapters.Hl7v2Fhir.Tests;

/// <summary>What the maps promise beyond one golden pair: stable ids, kept precision, nothing silently dropped, no crash.</summary>
public sealed class MapTests
{
    static Hl7Message Parse(params string[] segments)
    {
        var parsed = Hl7Parser.Parse(string.Concat(segments.Select(s => s + "\r")));
        Assert.Empty(parsed.Problems);
        return parsed.Message!;
    }

    static Hl7v2FhirMapping Map(Hl7v2FhirOptions? options, params string[] segments) => Hl7v2ToFhir.Map(Parse(segments), options);

    [Fact]
    public void The_A08_names_the_Patient_its_A04_created_and_another_patient_gets_another_id()
    {
        var a04 = Hl7v2ToFhir.Map(Golden.Message("adt-a04"), Golden.Options);
        var a08 = Hl7v2ToFhir.Map(Golden.Message("adt-a08"), Golden.Options);
        var other = Hl7v2ToFhir.Map(Golden.Message("oru-r01"), Golden.Options);

        Assert.Equal(a04.Subject!.Id, a08.Subject!.Id);
        Assert.NotEqual(a04.Subject.Id, other.Subject!.Id);
        Assert.Equal(a04.Bundle!.Entry.Select(e => e.FullUrl), Hl7v2ToFhir.Map(Golden.Message("adt-a04"), Golden.Options).Bundle!.Entry.Select(e => e.FullUrl));
    }

    [Fact]
    public void The_same_MRN_of_another_assigning_authority_is_another_patient()
    {
        var clinic = Map(null, "MSH|^~\\&|A|F|H|G|20260101||ADT^A04^ADT_A01|1|P|2.5.1", "PID|1||MRN-1^^^CLINIC^MR||X", "PV1|1|O");
        var hospital = Map(null, "MSH|^~\\&|A|F|H|G|20260101||ADT^A04^ADT_A01|2|P|2.5.1", "PID|1||MRN-1^^^HOSPITAL^MR||X", "PV1|1|O");

        Assert.NotEqual(clinic.Subject!.Id, hospital.Subject!.Id);
    }

    [Theory]
    [InlineData("20260102", null, "2026-01-02")]
    [InlineData("202601", null, "2026-01")]
    [InlineData("20260102093015+0530", null, "2026-01-02T09:30:15+05:30")]
    [InlineData("202601020930-0300", null, "2026-01-02T09:30:00-03:00")]
    [InlineData("20260102093015.25+0000", null, "2026-01-02T09:30:15.25+00:00")]
    [InlineData("20260102093015", "+05:00", "2026-01-02T09:30:15+05:00")]
    [InlineData("20260102093015", null, "2026-01-02")]
    public void Times_keep_the_precision_and_offset_the_sender_gave(string v2, string? defaultOffset, string fhir)
    {
        var options = new Hl7v2FhirOptions { DefaultOffset = defaultOffset is null ? null : TimeSpan.Parse(defaultOffset.TrimStart('+'), System.Globalization.CultureInfo.InvariantCulture) };
        var mapping = Map(options, "MSH|^~\\&|A|F|H|G|20260101||ADT^A01^ADT_A01|1|P|2.5.1", "PID|1||M^^^F^MR||X",
            "PV1|1|I" + new string('|', 42) + v2);

        var encounter = mapping.Bundle!.Entry.Select(e => e.Resource).OfType<Encounter>().Single();
        Assert.Equal(fhir, encounter.Period?.Start);
        if (fhir.Length == 10 && v2.Length > 8)
            Assert.Contains(mapping.Issues, i => i.Location == "PV1-44" && i.Text.Contains("offset", StringComparison.Ordinal));
    }

    [Fact]
    public void What_the_maps_do_not_carry_is_named_by_field_and_never_by_value()
    {
        var mapping = Map(null, "MSH|^~\\&|A|F|H|G|20260101||ADT^A04^ADT_A01|1|P|2.5.1",
            "PID|1||M-77^^^F^MR||KHAN^AYESHA||19870412|F||2106-3^White^HL70005|||||||||||||||||||||PAK",
            "PV1|1|O", "ZXY|secret local data");

        Assert.Contains(mapping.Issues, i => i.Location == "PID-10");
        Assert.Contains(mapping.Issues, i => i.Location == "PID-31");
        Assert.Contains(mapping.Issues, i => i.Location == "ZXY");
        Assert.All(mapping.Issues, i => Assert.DoesNotContain("White", i.ToString(), StringComparison.Ordinal));
        Assert.All(mapping.Issues, i => Assert.DoesNotContain("secret", i.ToString(), StringComparison.Ordinal));
    }

    [Fact]
    public void A_local_coding_system_is_kept_so_nothing_is_lost()
    {
        var mapping = Map(null, "MSH|^~\\&|A|F|H|G|20260101||ADT^A01^ADT_A01|1|P|2.5.1", "PID|1||M^^^F^MR||X", "PV1|1|I",
            "AL1|1|DA|PEN^Penicillin^99LOC");

        var allergy = mapping.Bundle!.Entry.Select(e => e.Resource).OfType<AllergyIntolerance>().Single();
        Assert.Equal("urn:hl7v2:coding-system:99LOC", allergy.Code?.Coding.Single().System);
    }

    [Theory]
    [InlineData("ADT^A02^ADT_A02", "MSH-9")]
    public void A_trigger_without_a_map_is_an_error_naming_it(string type, string location)
    {
        var mapping = Map(null, $"MSH|^~\\&|A|F|H|G|20260101||{type}|1|P|2.5.1", "PID|1||M^^^F^MR||X");

        Assert.False(mapping.Succeeded);
        Assert.Null(mapping.Bundle);
        Assert.Contains(mapping.Issues, i => i.Severity == MapIssueSeverity.Error && i.Location == location);
    }

    [Fact]
    public void A_message_about_nobody_is_an_error()
    {
        var noPid = Map(null, "MSH|^~\\&|A|F|H|G|20260101||ADT^A04^ADT_A01|1|P|2.5.1", "PV1|1|O");
        var noIdentifier = Map(null, "MSH|^~\\&|A|F|H|G|20260101||ADT^A04^ADT_A01|1|P|2.5.1", "PID|1||||KHAN", "PV1|1|O");

        Assert.Contains(noPid.Issues, i => i is { Severity: MapIssueSeverity.Error, Location: "PID" });
        Assert.Contains(noIdentifier.Issues, i => i is { Severity: MapIssueSeverity.Error, Location: "PID-3" });
    }

    [Fact]
    public void Calendar_edges_and_huge_numbers_do_not_crash_the_maps()
    {
        var oru = Map(null, "MSH|^~\\&|A|F|H|G|00010101000000+1400||ORU^R01^ORU_R01|1|P|2.5.1", "PID|1||M^^^F^MR||X",
            "OBR|1|P1|F1|24331-1^Lipid^LN|||99991231235959-1400|||||||||||||||00010101000000+1400|||F",
            "OBX|1|NM|2093-3^C^LN||99999999999999999999999999999999999|mg/dL|||||F");
        var siu = Map(null, "MSH|^~\\&|A|F|H|G|20260101||SIU^S12^SIU_S12|2|P|2.6",
            "SCH|A1|A1|||||R||999999999|MIN|^^^99991231235959-1400|||||||||||||||BOOKED", "PID|1||M^^^F^MR||X");

        Assert.True(oru.Succeeded, string.Join("\n", oru.Issues));
        Assert.Null(oru.Bundle!.Timestamp);
        Assert.True(siu.Succeeded, string.Join("\n", siu.Issues));
        Assert.Contains(siu.Issues, i => i.Location == "SCH-9");
    }

    [Fact]
    public void Mutated_messages_never_crash_the_maps()
    {
        var random = new Random(20261203);
        var inputs = Golden.Names().Select(n => File.ReadAllBytes(Path.Combine(Golden.Dir, n + ".hl7"))).ToList();
        byte[] delimiters = "|^~\\&\r"u8.ToArray();
        var mapped = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var bytes = (byte[])inputs[random.Next(inputs.Count)].Clone();
            var mutations = random.Next(1, 6);
            for (var m = 0; m < mutations; m++)
            {
                var at = random.Next(bytes.Length);
                bytes[at] = random.Next(3) switch
                {
                    0 => delimiters[random.Next(delimiters.Length)],
                    1 => (byte)random.Next(256),
                    _ => (byte)"0123456789+-."[random.Next(13)],
                };
            }
            if (random.Next(4) == 0) bytes = bytes[..random.Next(bytes.Length)];
            if (Hl7Parser.Parse(bytes).Message is not { } message) continue;
            var mapping = Hl7v2ToFhir.Map(message, Golden.Options);
            if (mapping.Succeeded) mapped++;
        }
        Assert.True(mapped > 1000, $"only {mapped} mutated messages mapped: the loop did not reach the maps");
    }
}
