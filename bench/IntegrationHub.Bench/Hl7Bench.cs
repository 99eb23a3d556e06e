using System.Text;
using IntegrationHub.Adapters.Hl7v2;

namespace IntegrationHub.Bench;

/// <summary>
/// The HL7 v2 parser on the ADT^A04 and ORU^R01 golden messages, in messages/s on one thread, beside the baseline: a
/// plain split of the same bytes on the declared delimiters (decode, split segments on CR, fields on MSH-1; no escapes,
/// no components). "hl7-parse" is the parse alone (fields located, nothing below split); "hl7-parse+read" also reads
/// every field's decoded value.
/// </summary>
public static class Hl7Bench
{
    static readonly string[] Scenarios = ["plain-split", "hl7-parse", "hl7-parse+read"];
    const int Iterations = 200_000;

    public static BenchResult[] Run(BenchOptions options)
    {
        var golden = Path.Combine(Repository.Root(), "tests", "IntegrationHub.Adapters.Hl7v2.Tests", "Golden");
        return [Measure("hl7-adt-a04", File.ReadAllBytes(Path.Combine(golden, "adt-a04.hl7")), options),
                Measure("hl7-oru-r01", File.ReadAllBytes(Path.Combine(golden, "oru-r01.hl7")), options)];
    }

    static BenchResult Measure(string name, byte[] message, BenchOptions options)
    {
        var result = new BenchResult(name, "messages/s", Scenarios);
        var run = new Func<int>[] { () => PlainSplit(message), () => Parse(message).Segments.Count, () => ParseAndRead(message) };
        OneThreadRates.Measure(result, run, Iterations, warmup: 20_000, options);
        result.Notes.Add($"{message.Length} bytes, {Iterations} messages per scenario and round. Full parse / plain split: "
            + $"{BenchResult.FormatRatio(result.Ratio(1))}, parse + read every field / plain split: {BenchResult.FormatRatio(result.Ratio(2))} (target ≥ 0.5x).");
        return result;
    }

    static int PlainSplit(byte[] bytes)
    {
        var text = Encoding.UTF8.GetString(bytes);
        var fs = text[3];
        var fields = 0;
        foreach (var segment in text.Split('\r', StringSplitOptions.RemoveEmptyEntries))
            fields += segment.Split(fs).Length;
        return fields;
    }

    static Hl7Message Parse(byte[] bytes)
    {
        var r = Hl7Parser.Parse(bytes);
        return r.Succeeded ? r.Message! : throw new InvalidOperationException(r.Problems[0].ToString());
    }

    static int ParseAndRead(byte[] bytes)
    {
        var total = 0;
        foreach (var s in Parse(bytes).Segments)
            for (var f = 1; f <= s.FieldCount; f++)
                total += s.Field(f).Value.Length;
        return total;
    }
}
