using System.Globalization;
using System.Text;
using IntegrationHub.Bench;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException exception)
{
    Console.Error.WriteLine(exception.Message);
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}

var results = new List<BenchResult>();
if (options.Scenario is "bus" or "all")
    results.Add(await BusBench.Run(options));
if (options.Scenario is "saga" or "all")
    results.AddRange(await SagaBench.Run(options));
if (options.Scenario is "gateway" or "all")
    results.Add(await GatewayBench.Run(options));
if (options.Scenario is "fhir" or "all")
    results.AddRange(FhirBench.Run(options));
if (options.Scenario is "hl7" or "all")
    results.AddRange(Hl7Bench.Run(options));
if (options.Scenario is "hl7fhir" or "all")
    results.AddRange(Hl7FhirBench.Run(options));
if (options.Scenario is "fidelius" or "all")
    results.AddRange(FideliusBench.Run(options));
if (options.Scenario is "mllp" or "all")
    results.Add(await MllpBench.Run(options));
if (options.Scenario is "receipts" or "all")
    results.AddRange(await ReceiptsBench.Run(options));

Console.WriteLine();
foreach (var result in results)
    Console.WriteLine(result.Table());

Console.WriteLine("---- markdown ----");
Console.WriteLine(Report.Markdown(options, results));
return 0;

namespace IntegrationHub.Bench
{
    /// <summary>Per-round rates of the scenarios of one benchmark; the first scenario is the baseline.</summary>
    public sealed class BenchResult(string benchmark, string unit, string[] scenarios)
    {
        public string Benchmark => benchmark;
        public string Unit => unit;
        public string[] Scenarios => scenarios;
        public List<double[]> Rounds { get; } = [];

        /// <summary>What the run measured, for the report's heading; null: the benchmark's default heading.</summary>
        public string? Title { get; init; }

        /// <summary>Markdown lines printed after the table (e.g. latencies).</summary>
        public List<string> Notes { get; } = [];

        public double Median(int scenario) => Measure.Median(Rounds.Select(r => r[scenario]));

        /// <summary>Median of the per-round ratios scenario / baseline (same round, so similar machine noise).</summary>
        public double Ratio(int scenario, int baseline = 0) => Measure.Median(Rounds.Select(r => r[scenario] / r[baseline]));

        public string Table()
        {
            var text = new StringBuilder();
            text.AppendLine($"{Benchmark} ({Unit}){(Title is null ? "" : "; " + Title)}");
            text.Append($"{"round",-8}");
            foreach (var s in Scenarios) text.Append($"{s,14}");
            text.AppendLine();
            for (var i = 0; i < Rounds.Count; i++)
            {
                text.Append($"{i + 1,-8}");
                foreach (var rate in Rounds[i]) text.Append($"{Format(rate),14}");
                text.AppendLine();
            }
            text.Append($"{"median",-8}");
            for (var s = 0; s < Scenarios.Length; s++) text.Append($"{Format(Median(s)),14}");
            text.AppendLine();
            text.Append($"{"ratio",-8}");
            for (var s = 0; s < Scenarios.Length; s++) text.Append($"{(s == 0 ? "1.00x" : FormatRatio(Ratio(s))),14}");
            text.AppendLine($"   (median of per-round ratios to {Scenarios[0]})");
            foreach (var note in Notes) text.AppendLine(note);
            return text.ToString();
        }

        public static string Format(double rate) => double.IsNaN(rate) ? "n/a" : rate.ToString(rate < 100 ? "N1" : "N0", CultureInfo.InvariantCulture);
        public static string FormatRatio(double ratio) => double.IsNaN(ratio) ? "n/a" : ratio.ToString("0.00", CultureInfo.InvariantCulture) + "x";
    }

    public static class Report
    {
        public static string Markdown(BenchOptions options, IReadOnlyList<BenchResult> results)
        {
            var text = new StringBuilder();
            text.AppendLine($"Run {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, .NET {Environment.Version}, " +
                            $"rounds={options.Rounds}");
            foreach (var result in results)
            {
                text.AppendLine();
                text.AppendLine(result.Benchmark switch
                {
                    "bus" => $"**bus** ({result.Unit}; N={options.Messages}, C={options.Concurrency}, 1 KB, persistent, confirms, quorum)",
                    "saga" => $"**saga** ({result.Unit}; {result.Title}, 1 Start + {options.Steps} Steps each)",
                    "fhir" or "fhir-cpu" => $"**{result.Benchmark}** ({result.Unit}; one collection Bundle of official R4 examples, one thread)",
                    "hl7-adt-a04" or "hl7-oru-r01" => $"**{result.Benchmark}** ({result.Unit}; one golden message parsed over and over, one thread)",
                    "v2-fhir-adt-a04" or "v2-fhir-oru-r01-10obx" => $"**{result.Benchmark}** ({result.Unit}; one message parsed and mapped over and over, one thread)",
                    "fidelius-1mib" => $"**{result.Benchmark}** ({result.Unit}; {result.Title})",
                    "receipts-c1" or "receipts-c4" or "receipts-c16" => $"**{result.Benchmark}** ({result.Unit}; {result.Title}, one transaction per capture, PostgreSQL)",
                    "fhir-validate" => $"**fhir-validate** ({result.Unit}; base specification, one thread)",
                    "mllp" => $"**mllp** ({result.Unit}; N={options.Requests} ADT^A04/round, {Math.Min(options.Clients, 64)} MLLP connections, RabbitMQ + PostgreSQL)",
                    _ => $"**gateway** ({result.Unit}; N={options.Requests} POSTs/round, C={options.Clients} concurrent, RabbitMQ + PostgreSQL outbox)",
                });
                text.AppendLine();
                text.AppendLine("| round | " + string.Join(" | ", result.Scenarios) + " |");
                text.AppendLine("|---|" + string.Concat(result.Scenarios.Select(_ => "---:|")));
                for (var i = 0; i < result.Rounds.Count; i++)
                    text.AppendLine($"| {i + 1} | " + string.Join(" | ", result.Rounds[i].Select(BenchResult.Format)) + " |");
                text.AppendLine("| **median** | " + string.Join(" | ", result.Scenarios.Select((_, s) => "**" + BenchResult.Format(result.Median(s)) + "**")) + " |");
                text.AppendLine($"| ratio to {result.Scenarios[0]} | " + string.Join(" | ",
                    result.Scenarios.Select((_, s) => s == 0 ? "1.00x" : BenchResult.FormatRatio(result.Ratio(s)))) + " |");
                if (result.Notes.Count > 0)
                    text.AppendLine();
                foreach (var note in result.Notes)
                    text.AppendLine(note);
            }
            return text.ToString();
        }
    }
}
