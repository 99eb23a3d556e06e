using System.Diagnostics;
using Npgsql;

namespace IntegrationHub.Bench;

/// <summary>
/// The cost of gap-free receipt numbers: captures per second, C connections at once, each capture one transaction as the
/// Payments ledger commits it (the payment row marked captured, the receipt inserted). <c>sequence</c> (the baseline)
/// numbers receipts from a PostgreSQL sequence — fast, never blocking, but a rolled-back capture leaves a gap;
/// <c>counter</c> takes the department's counter row of the fiscal year (<c>INSERT … ON CONFLICT DO UPDATE … RETURNING</c>,
/// the ledger's own statement), which is gap-free because the row stays locked until the capture commits — so captures of
/// one department and year are serialised through that row. <c>counter, 8 depts</c> spreads the same captures over eight
/// departments' counters.
/// </summary>
public static class ReceiptsBench
{
    const int Sequence = 0, Counter = 1, EightDepartments = 2;

    public static async Task<IReadOnlyList<BenchResult>> Run(BenchOptions options)
    {
        var id = Measure.RunId;
        var database = $"hub_bench_receipts_{id}";
        var postgres = new NpgsqlConnectionStringBuilder(options.Postgres) { Database = database, MaxPoolSize = 64 }.ConnectionString;
        var perRound = Math.Min(options.Requests, 5000);
        Console.WriteLine($"== receipts: N={perRound} captures per round, rounds={options.Rounds}, database {database} (run {id})");
        await GatewayBench.Admin(options.Postgres, $"CREATE DATABASE {database}");
        var results = new List<BenchResult>();
        try
        {
            await Setup(postgres);
            var next = 0;
            foreach (var connections in new[] { 1, 4, 16 })
            {
                var result = new BenchResult($"receipts-c{connections}", "captures/s", ["sequence", "counter", "counter, 8 depts"])
                {
                    Title = $"{connections} connection(s) capturing at once",
                };
                for (var scenario = 0; scenario < 3; scenario++)
                    await Round(postgres, scenario, connections, 500, () => Interlocked.Increment(ref next)); // warm-up
                for (var round = 0; round < options.Rounds; round++)
                {
                    var rates = new double[3];
                    foreach (var scenario in round % 2 == 0 ? new[] { Sequence, Counter, EightDepartments } : [EightDepartments, Counter, Sequence])
                        rates[scenario] = await Round(postgres, scenario, connections, perRound, () => Interlocked.Increment(ref next));
                    result.Rounds.Add(rates);
                    Console.WriteLine($"receipts c={connections} round {round + 1}: sequence {rates[0]:0}, counter {rates[1]:0}, 8 depts {rates[2]:0} captures/s");
                }
                result.Notes.Add($"{perRound} captures per round over {connections} connection(s): gap-free numbering costs " +
                                 $"{BenchResult.FormatRatio(result.Ratio(Counter))} of the gap-prone sequence's rate for one department, " +
                                 $"{BenchResult.FormatRatio(result.Ratio(EightDepartments))} spread over eight.");
                results.Add(result);
            }
        }
        finally
        {
            await GatewayBench.DropDatabase(options.Postgres, database);
        }
        return results;
    }

    static async Task Setup(string postgres)
    {
        await using var connection = new NpgsqlConnection(postgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            CREATE TABLE payments (department text, id bigint, state text NOT NULL, captured_minor bigint NOT NULL DEFAULT 0, PRIMARY KEY (department, id));
            CREATE TABLE receipt_counters (department text, fiscal_year text, last_number bigint NOT NULL, PRIMARY KEY (department, fiscal_year));
            CREATE TABLE receipts (department text, fiscal_year text, sequence bigint, payment_id bigint, amount_minor bigint, issued_at timestamptz,
                PRIMARY KEY (department, fiscal_year, sequence), UNIQUE (department, payment_id));
            CREATE SEQUENCE receipt_numbers;
            """, connection);
        await command.ExecuteNonQueryAsync();
    }

    static async Task<double> Round(string postgres, int scenario, int connections, int captures, Func<int> next)
    {
        // The payments to capture exist first (as they would: opened by their sagas), outside the measurement.
        var ids = Enumerable.Range(0, captures).Select(_ => next()).ToArray();
        string DepartmentOf(int payment) => scenario == EightDepartments ? $"d{payment % 8}" : $"s{scenario}";
        await using (var connection = new NpgsqlConnection(postgres))
        {
            await connection.OpenAsync();
            await using var writer = await connection.BeginBinaryImportAsync("COPY payments (department, id, state) FROM STDIN (FORMAT BINARY)");
            foreach (var payment in ids)
            {
                await writer.StartRowAsync();
                await writer.WriteAsync(DepartmentOf(payment));
                await writer.WriteAsync((long)payment);
                await writer.WriteAsync("pending");
            }
            await writer.CompleteAsync();
        }

        var queue = new System.Collections.Concurrent.ConcurrentQueue<int>(ids);
        var stopwatch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, connections).Select(async _ =>
        {
            await using var connection = new NpgsqlConnection(postgres);
            await connection.OpenAsync();
            while (queue.TryDequeue(out var payment))
                await Capture(connection, scenario, DepartmentOf(payment), payment);
        }));
        return captures / stopwatch.Elapsed.TotalSeconds;
    }

    static async Task Capture(NpgsqlConnection connection, int scenario, string department, long payment)
    {
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var update = new NpgsqlCommand("UPDATE payments SET state = 'captured', captured_minor = 1000 WHERE department = @d AND id = @id", connection, transaction))
        {
            update.Parameters.AddWithValue("d", department);
            update.Parameters.AddWithValue("id", payment);
            await update.ExecuteNonQueryAsync();
        }
        long sequence;
        await using (var number = new NpgsqlCommand(scenario == Sequence
            ? "SELECT nextval('receipt_numbers')"
            : """
              INSERT INTO receipt_counters (department, fiscal_year, last_number) VALUES (@d, '2026-27', 1)
              ON CONFLICT (department, fiscal_year) DO UPDATE SET last_number = receipt_counters.last_number + 1
              RETURNING last_number
              """, connection, transaction))
        {
            number.Parameters.AddWithValue("d", department);
            sequence = (long)(await number.ExecuteScalarAsync())!;
        }
        await using (var insert = new NpgsqlCommand(
            "INSERT INTO receipts (department, fiscal_year, sequence, payment_id, amount_minor, issued_at) VALUES (@d, '2026-27', @s, @p, 1000, now())",
            connection, transaction))
        {
            insert.Parameters.AddWithValue("d", department);
            insert.Parameters.AddWithValue("s", sequence);
            insert.Parameters.AddWithValue("p", payment);
            await insert.ExecuteNonQueryAsync();
        }
        await transaction.CommitAsync();
    }
}
