using System.Diagnostics;
using Xunit.Abstractions;

namespace IntegrationHub.Adapters.Hl7v2.Tests;

/// <summary>Mutated golden messages: the parser and ACK builder return results, never throw, and stay fast.</summary>
public sealed class MutationTests(ITestOutputHelper output)
{
    const int Inputs = 100_000;
    const int Seed = 16_2026;

    [Fact]
    public void One_hundred_thousand_mutated_inputs_never_throw_or_hang()
    {
        var corpus = GoldenTests.Names.Select(Golden.Input).ToArray();
        var random = new Random(Seed);
        output.WriteLine($"mutation seed {Seed}, {Inputs} inputs");
        var options = new Hl7AckOptions("M", DateTimeOffset.UnixEpoch);
        var limits = new Hl7Limits(MaxBytes: 1 << 20, MaxFieldRepetitions: 500);
        var watch = Stopwatch.StartNew();
        int parsed = 0, rejected = 0, closed = 0;
        for (var i = 0; i < Inputs; i++)
        {
            var input = Mutate(corpus[random.Next(corpus.Length)], random);
            try
            {
                var r = Hl7Parser.Parse(input, limits);
                if (r.Message is { } m) Walk(m);
                var ack = Hl7Ack.Build(r, options);
                if (ack.Outcome == Hl7AckOutcome.Close) closed++;
                else if (r.Succeeded) parsed++;
                else rejected++;
                if (ack.Ack is { } a) Hl7Writer.WriteBytes(a);
            }
            catch (Exception e)
            {
                Assert.Fail($"input {i} (seed {Seed}) threw {e}\ninput: {Convert.ToBase64String(input)}");
            }
        }
        output.WriteLine($"{watch.Elapsed.TotalSeconds:F1} s: {parsed} parsed, {rejected} rejected, {closed} closed");
        // No time limit asserted here (timings are for bench/): a hang is cut off and named by the runner's hang timeout.
        Assert.True(parsed > 0 && rejected > 0 && closed > 0);
    }

    static void Walk(Hl7Message m)
    {
        foreach (var s in m.Segments)
        {
            for (var f = 1; f <= Math.Min(s.FieldCount, 60); f++)
            {
                var field = s.Field(f);
                _ = field.Value;
                for (var r = 1; r <= Math.Min(field.Count, 4); r++)
                {
                    var rep = field.Repetition(r);
                    for (var c = 1; c <= Math.Min(rep.Count, 8); c++)
                    {
                        var comp = rep.Child(c);
                        for (var sc = 1; sc <= Math.Min(comp.Count, 4); sc++) _ = comp.Child(sc).Value;
                    }
                }
            }
        }
        Hl7Writer.WriteBytes(m);
    }

    static readonly byte[] Special = "|^~\\&#\r\nX\\.br\\"u8.ToArray();

    static byte[] Mutate(byte[] source, Random random)
    {
        var b = new List<byte>(source);
        var rounds = random.Next(1, 4);
        for (var k = 0; k < rounds; k++)
        {
            if (b.Count == 0) b.Add((byte)'M');
            var at = random.Next(b.Count);
            switch (random.Next(7))
            {
                case 0: b.RemoveRange(at, b.Count - at); break; // truncation
                case 1: b[at] ^= (byte)(1 << random.Next(8)); break; // bit flip
                case 2: b[at] = (byte)random.Next(256); break; // byte replaced
                case 3: b.Insert(at, Special[random.Next(Special.Length)]); break; // random delimiter
                case 4: // huge repetition
                    var rep = Enumerable.Repeat((byte)'~', random.Next(100, 5_000)).ToArray();
                    b.InsertRange(at, rep);
                    break;
                case 5: b.InsertRange(at, "\\X"u8.ToArray().Concat(Enumerable.Repeat((byte)'F', random.Next(0, 9)))); break; // broken escapes
                default: // duplicate a slice (many segments/fields)
                    var len = Math.Min(b.Count - at, random.Next(1, 200));
                    var slice = b.GetRange(at, len);
                    for (var n = random.Next(1, 20); n > 0; n--) b.InsertRange(at, slice);
                    break;
            }
        }
        return [.. b];
    }
}
