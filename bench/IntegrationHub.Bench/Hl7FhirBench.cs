using System.Text;
using IntegrationHub.Adapters.Fhir;
using IntegrationHub.Adapters.Hl7v2;
using IntegrationHub.Adapters.Hl7v2Fhir;

namespace IntegrationHub.Bench;

/// <summary>
/// HL7 v2 → FHIR on one thread, messages/s, for ADT^A04 and an ORU^R01 with 10 OBX, beside the baseline in the same run:
/// the parse alone. "v2-to-fhir" parses and maps to the Bundle's objects; "v2-to-fhir-json" also writes the Bundle as
/// FHIR JSON (what an event carries). Target: v2 → FHIR JSON ≥ 0.2x the parse alone.
/// </summary>
public static class Hl7FhirBench
{
    static readonly string[] Scenarios = ["hl7-parse", "v2-to-fhir", "v2-to-fhir-json"];
    const int Iterations = 20_000;

    public static BenchResult[] Run(BenchOptions options)
    {
        var golden = Path.Combine(Repository.Root(), "tests", "IntegrationHub.Adapters.Hl7v2Fhir.Tests", "Golden");
        return [Measure("v2-fhir-adt-a04", File.ReadAllBytes(Path.Combine(golden, "adt-a04.hl7")), options),
                Measure("v2-fhir-oru-r01-10obx", OruWithTenResults(), options)];
    }

    static byte[] OruWithTenResults()
    {
        var message = new StringBuilder()
            .Append("MSH|^~\\&|LAB|HOSP|HUB|GOV|20260106083000+0500||ORU^R01^ORU_R01|LAB-555|P|2.5.1\r")
            .Append("PID|1||MRN-99^^^HOSP^MR||Ali^Hassan||19751120|M\r")
            .Append("ORC|RE|ORD-1^LAB|FIL-1^LAB||CM\r")
            .Append("OBR|1|ORD-1^LAB|FIL-1^LAB|24331-1^Lipid panel^LN|||20260106070000+0500||||||||||||||||||F\r");
        for (var i = 1; i <= 10; i++)
            message.Append($"OBX|{i}|NM|2093-{i}^Analyte {i}^LN||{180 + i}|mg/dL^mg/dL^UCUM|<200|N|||F|||20260106070000+0500\r");
        return Encoding.ASCII.GetBytes(message.ToString());
    }

    static BenchResult Measure(string name, byte[] message, BenchOptions options)
    {
        var fhir = new FhirAdapter(new FhirOptions());
        var maps = new Hl7v2FhirOptions { DefaultOffset = TimeSpan.FromHours(5) };
        var result = new BenchResult(name, "messages/s", Scenarios);
        var run = new Func<int>[]
        {
            () => Parse(message).Segments.Count,
            () => Hl7v2ToFhir.Map(Parse(message), maps).Bundle!.Entry.Count,
            () => fhir.SerializeToUtf8(Hl7v2ToFhir.Map(Parse(message), maps).Bundle!, FhirFormat.Json).Length,
        };
        OneThreadRates.Measure(result, run, Iterations, warmup: 5_000, options);
        result.Notes.Add($"{message.Length} bytes, {Iterations} messages per scenario and round, one thread. v2 → FHIR / parse alone: "
            + $"{BenchResult.FormatRatio(result.Ratio(1))}, v2 → FHIR JSON / parse alone: {BenchResult.FormatRatio(result.Ratio(2))} (target ≥ 0.2x).");
        return result;
    }

    static Hl7Message Parse(byte[] bytes)
    {
        var r = Hl7Parser.Parse(bytes);
        return r.Succeeded ? r.Message! : throw new InvalidOperationException(r.Problems[0].ToString());
    }
}
