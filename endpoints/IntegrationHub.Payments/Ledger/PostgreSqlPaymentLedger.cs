using System.Text.Json;
using IntegrationHub.Hosting.Persistence;
using Npgsql;

namespace IntegrationHub.Payments.Ledger;

/// <summary>The ledger in schema <c>payments</c>: reads on connections of their own, changes in the saga's transaction.</summary>
internal sealed class PostgreSqlPaymentLedger(string connectionString, HandlerDatabase database) : IPaymentLedger
{
    const string PaymentColumns = """
        department, id, account, gateway, reference, bill_id, amount_minor, currency, bill_reference, description, method, return_url,
        created_at, expires_at, state, gateway_id, checkout_token_hash, captured_minor, flag, refunded_minor, refund_reserved_minor, instrument
        """;
    const string BillColumns = """
        department, id, reference, payer_name, payer_mobile, payer_email, items, amount_minor, currency, due_date, reserved_minor, paid_minor,
        created_at, idempotency_key
        """;

    public async Task<BillRow> AddBill(BillRow bill, CancellationToken cancellationToken)
    {
        await using var connection = await Open(cancellationToken);
        await using var insert = new NpgsqlCommand($"""
            INSERT INTO payments.bills ({BillColumns})
            VALUES (@department, @id, @reference, @payer_name, @payer_mobile, @payer_email, @items::jsonb, @amount, @currency, @due, 0, 0, @at, @key)
            ON CONFLICT DO NOTHING
            """, connection);
        insert.Parameters.AddWithValue("department", bill.Department);
        insert.Parameters.AddWithValue("id", bill.Id);
        insert.Parameters.AddWithValue("reference", bill.Reference);
        insert.Parameters.AddWithValue("payer_name", (object?)bill.PayerName ?? DBNull.Value);
        insert.Parameters.AddWithValue("payer_mobile", (object?)bill.PayerMobile ?? DBNull.Value);
        insert.Parameters.AddWithValue("payer_email", (object?)bill.PayerEmail ?? DBNull.Value);
        insert.Parameters.AddWithValue("items", JsonSerializer.Serialize(bill.Items));
        insert.Parameters.AddWithValue("amount", bill.AmountMinor);
        insert.Parameters.AddWithValue("currency", bill.Currency);
        insert.Parameters.AddWithValue("due", (object?)bill.DueDate ?? DBNull.Value);
        insert.Parameters.AddWithValue("at", bill.CreatedAt.UtcDateTime);
        insert.Parameters.AddWithValue("key", (object?)bill.IdempotencyKey ?? DBNull.Value);
        if (await insert.ExecuteNonQueryAsync(cancellationToken) == 1 || bill.IdempotencyKey is null)
            return bill;
        await using var earlier = new NpgsqlCommand($"SELECT {BillColumns} FROM payments.bills WHERE department = @department AND idempotency_key = @key", connection);
        earlier.Parameters.AddWithValue("department", bill.Department);
        earlier.Parameters.AddWithValue("key", bill.IdempotencyKey);
        await using var reader = await earlier.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadBill(reader) : bill;
    }

    public async Task<BillRow?> Bill(string department, string id, CancellationToken cancellationToken)
    {
        await using var connection = await Open(cancellationToken);
        await using var command = new NpgsqlCommand($"SELECT {BillColumns} FROM payments.bills WHERE department = @department AND id = @id", connection);
        command.Parameters.AddWithValue("department", department);
        command.Parameters.AddWithValue("id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadBill(reader) : null;
    }

    public Task<PaymentRow?> Payment(string department, string id, CancellationToken cancellationToken) =>
        ReadPayment("department = @department AND id = @id", c => { c.Parameters.AddWithValue("department", department); c.Parameters.AddWithValue("id", id); }, cancellationToken);

    public Task<PaymentRow?> PaymentByReference(string reference, CancellationToken cancellationToken) =>
        ReadPayment("reference = @reference", c => c.Parameters.AddWithValue("reference", reference), cancellationToken);

    public async Task<ReceiptRow?> Receipt(string department, string paymentId, CancellationToken cancellationToken)
    {
        await using var connection = await Open(cancellationToken);
        await using var command = new NpgsqlCommand("""
            SELECT department, fiscal_year, sequence, number, payment_id, bill_id, bill_reference, amount_minor, currency, gateway, payer_name, items, issued_at
            FROM payments.receipts WHERE department = @department AND payment_id = @payment
            """, connection);
        command.Parameters.AddWithValue("department", department);
        command.Parameters.AddWithValue("payment", paymentId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadReceipt(reader) : null;
    }

    public async Task RecordCallback(CallbackRow callback, CancellationToken cancellationToken)
    {
        await using var connection = await Open(cancellationToken);
        await using var command = new NpgsqlCommand("""
            INSERT INTO payments.callbacks (gateway, account, received_at, outcome, reason, event_id, reference)
            VALUES (@gateway, @account, @at, @outcome, @reason, @event, @reference)
            """, connection);
        command.Parameters.AddWithValue("gateway", callback.Gateway);
        command.Parameters.AddWithValue("account", callback.Account);
        command.Parameters.AddWithValue("at", callback.ReceivedAt.UtcDateTime);
        command.Parameters.AddWithValue("outcome", callback.Outcome);
        command.Parameters.AddWithValue("reason", (object?)callback.Reason ?? DBNull.Value);
        command.Parameters.AddWithValue("event", (object?)callback.EventId ?? DBNull.Value);
        command.Parameters.AddWithValue("reference", (object?)callback.Reference ?? DBNull.Value);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<CallbackRow>> Callbacks(int limit, CancellationToken cancellationToken)
    {
        await using var connection = await Open(cancellationToken);
        await using var command = new NpgsqlCommand("""
            SELECT gateway, account, received_at, outcome, reason, event_id, reference FROM payments.callbacks ORDER BY id DESC LIMIT @limit
            """, connection);
        command.Parameters.AddWithValue("limit", limit);
        var rows = new List<CallbackRow>();
        await using var r = await command.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
            rows.Add(new CallbackRow(r.GetString(0), r.GetString(1), Utc(r.GetDateTime(2)), r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4),
                r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6)));
        return rows;
    }

    public async Task<bool> Open(PaymentRow payment)
    {
        if (payment.BillId is { } billId)
        {
            // One conditional update: two checkouts racing for one bill cannot both set its amount aside.
            await using var reserve = await database.Command("""
                UPDATE payments.bills SET reserved_minor = reserved_minor + @amount
                WHERE department = @department AND id = @bill AND amount_minor - paid_minor - reserved_minor >= @amount
                  AND NOT EXISTS (SELECT 1 FROM payments.payments WHERE department = @department AND id = @payment)
                """);
            reserve.Parameters.AddWithValue("amount", payment.AmountMinor);
            reserve.Parameters.AddWithValue("department", payment.Department);
            reserve.Parameters.AddWithValue("bill", billId);
            reserve.Parameters.AddWithValue("payment", payment.Id);
            if (await reserve.ExecuteNonQueryAsync() == 0)
                return await Exists(payment); // opened before (a redelivery): still open
        }
        await using var insert = await database.Command($"""
            INSERT INTO payments.payments ({PaymentColumns})
            VALUES (@department, @id, @account, @gateway, @reference, @bill, @amount, @currency, @bill_reference, @description, @method, @return_url,
                    @created, @expires, @state, NULL, NULL, 0, NULL, 0, 0, NULL)
            ON CONFLICT DO NOTHING
            """);
        insert.Parameters.AddWithValue("department", payment.Department);
        insert.Parameters.AddWithValue("id", payment.Id);
        insert.Parameters.AddWithValue("account", payment.Account);
        insert.Parameters.AddWithValue("gateway", payment.Gateway);
        insert.Parameters.AddWithValue("reference", payment.Reference);
        insert.Parameters.AddWithValue("bill", (object?)payment.BillId ?? DBNull.Value);
        insert.Parameters.AddWithValue("amount", payment.AmountMinor);
        insert.Parameters.AddWithValue("currency", payment.Currency);
        insert.Parameters.AddWithValue("bill_reference", payment.BillReference);
        insert.Parameters.AddWithValue("description", payment.Description);
        insert.Parameters.AddWithValue("method", payment.Method);
        insert.Parameters.AddWithValue("return_url", (object?)payment.ReturnUrl ?? DBNull.Value);
        insert.Parameters.AddWithValue("created", payment.CreatedAt.UtcDateTime);
        insert.Parameters.AddWithValue("expires", payment.ExpiresAt.UtcDateTime);
        insert.Parameters.AddWithValue("state", payment.State);
        await insert.ExecuteNonQueryAsync();
        return true;
    }

    async Task<bool> Exists(PaymentRow payment)
    {
        await using var command = await database.Command("SELECT 1 FROM payments.payments WHERE department = @department AND id = @id");
        command.Parameters.AddWithValue("department", payment.Department);
        command.Parameters.AddWithValue("id", payment.Id);
        return await command.ExecuteScalarAsync() is not null;
    }

    public async Task SetGatewayId(string department, string id, string gatewayId, string? checkoutTokenHash)
    {
        await using var command = await database.Command("""
            UPDATE payments.payments SET gateway_id = @gateway_id, checkout_token_hash = COALESCE(@token, checkout_token_hash)
            WHERE department = @department AND id = @id
            """);
        command.Parameters.AddWithValue("gateway_id", gatewayId);
        command.Parameters.Add(new NpgsqlParameter("token", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)checkoutTokenHash ?? DBNull.Value });
        command.Parameters.AddWithValue("department", department);
        command.Parameters.AddWithValue("id", id);
        await command.ExecuteNonQueryAsync();
    }

    public async Task Close(string department, string id, string state)
    {
        await using var command = await database.Command("""
            WITH closed AS (
                UPDATE payments.payments SET state = @state WHERE department = @department AND id = @id AND state = 'pending'
                RETURNING bill_id, amount_minor)
            UPDATE payments.bills b SET reserved_minor = GREATEST(0, b.reserved_minor - closed.amount_minor)
            FROM closed WHERE b.department = @department AND b.id = closed.bill_id
            """);
        command.Parameters.AddWithValue("state", state);
        command.Parameters.AddWithValue("department", department);
        command.Parameters.AddWithValue("id", id);
        await command.ExecuteNonQueryAsync();
    }

    public async Task<Captured> Capture(string department, string id, long capturedMinor, string? instrument, string fiscalYear, DateTimeOffset at)
    {
        await using (var issued = await database.Command("""
            SELECT r.department, r.fiscal_year, r.sequence, r.number, r.payment_id, r.bill_id, r.bill_reference, r.amount_minor, r.currency, r.gateway,
                   r.payer_name, r.items, r.issued_at, p.flag, p.amount_minor, p.captured_minor, b.amount_minor, b.paid_minor
            FROM payments.receipts r JOIN payments.payments p ON p.department = r.department AND p.id = r.payment_id
            LEFT JOIN payments.bills b ON b.department = p.department AND b.id = p.bill_id
            WHERE r.department = @department AND r.payment_id = @id
            """))
        {
            issued.Parameters.AddWithValue("department", department);
            issued.Parameters.AddWithValue("id", id);
            await using var reader = await issued.ExecuteReaderAsync();
            if (await reader.ReadAsync())
                return new Captured(ReadReceipt(reader), reader.IsDBNull(13) ? null : reader.GetString(13), ReceiptNumbers.ExcessOf(reader.GetInt64(14),
                    reader.GetInt64(15), reader.IsDBNull(16) ? null : reader.GetInt64(16), reader.IsDBNull(17) ? null : reader.GetInt64(17)));
        }

        PaymentRow payment;
        await using (var read = await database.Command($"SELECT {PaymentColumns} FROM payments.payments WHERE department = @department AND id = @id FOR UPDATE"))
        {
            read.Parameters.AddWithValue("department", department);
            read.Parameters.AddWithValue("id", id);
            await using var reader = await read.ExecuteReaderAsync();
            if (!await reader.ReadAsync()) throw new InvalidOperationException($"No payment {department}/{id} to capture");
            payment = ReadPayment(reader);
        }

        long? billAmount = null, billPaid = null;
        string? payerName = null;
        List<BillItem>? billItems = null;
        if (payment.BillId is { } billId)
        {
            await using var settle = await database.Command("""
                UPDATE payments.bills SET reserved_minor = GREATEST(0, reserved_minor - @reserved), paid_minor = paid_minor + @captured
                WHERE department = @department AND id = @bill
                RETURNING amount_minor, paid_minor, payer_name, items
                """);
            settle.Parameters.AddWithValue("reserved", payment.State == PaymentStates.Pending ? payment.AmountMinor : 0L);
            settle.Parameters.AddWithValue("captured", capturedMinor);
            settle.Parameters.AddWithValue("department", department);
            settle.Parameters.AddWithValue("bill", billId);
            await using var reader = await settle.ExecuteReaderAsync();
            if (await reader.ReadAsync())
            {
                billAmount = reader.GetInt64(0);
                billPaid = reader.GetInt64(1);
                payerName = reader.IsDBNull(2) ? null : reader.GetString(2);
                billItems = JsonSerializer.Deserialize<List<BillItem>>(reader.GetString(3));
            }
        }
        var flag = ReceiptNumbers.FlagOf(payment.State, payment.AmountMinor, capturedMinor, billAmount, billPaid);
        var items = ReceiptNumbers.ItemsOf(billItems, payment.BillReference, payment.Description, capturedMinor);

        await using (var update = await database.Command("""
            UPDATE payments.payments SET state = 'captured', captured_minor = @captured, flag = @flag, instrument = @instrument
            WHERE department = @department AND id = @id
            """))
        {
            update.Parameters.Add(new NpgsqlParameter("instrument", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)instrument ?? DBNull.Value });
            update.Parameters.AddWithValue("captured", capturedMinor);
            update.Parameters.AddWithValue("flag", (object?)flag ?? DBNull.Value);
            update.Parameters.AddWithValue("department", department);
            update.Parameters.AddWithValue("id", id);
            await update.ExecuteNonQueryAsync();
        }

        // The counter row is locked until this transaction ends: numbers are issued in commit order, none lost to a rollback.
        long sequence;
        await using (var next = await database.Command("""
            INSERT INTO payments.receipt_counters (department, fiscal_year, last_number) VALUES (@department, @year, 1)
            ON CONFLICT (department, fiscal_year) DO UPDATE SET last_number = payments.receipt_counters.last_number + 1
            RETURNING last_number
            """))
        {
            next.Parameters.AddWithValue("department", department);
            next.Parameters.AddWithValue("year", fiscalYear);
            sequence = (long)(await next.ExecuteScalarAsync())!;
        }

        var receipt = new ReceiptRow(department, fiscalYear, sequence, ReceiptNumbers.Of(department, fiscalYear, sequence), id, payment.BillId,
            payment.BillReference, capturedMinor, payment.Currency, payment.Gateway, payerName, items, at);
        await using (var insert = await database.Command("""
            INSERT INTO payments.receipts (department, fiscal_year, sequence, number, payment_id, bill_id, bill_reference, amount_minor, currency, gateway,
                payer_name, items, issued_at)
            VALUES (@department, @year, @sequence, @number, @payment, @bill, @bill_reference, @amount, @currency, @gateway, @payer, @items::jsonb, @at)
            """))
        {
            insert.Parameters.AddWithValue("department", department);
            insert.Parameters.AddWithValue("year", fiscalYear);
            insert.Parameters.AddWithValue("sequence", sequence);
            insert.Parameters.AddWithValue("number", receipt.Number);
            insert.Parameters.AddWithValue("payment", id);
            insert.Parameters.AddWithValue("bill", (object?)payment.BillId ?? DBNull.Value);
            insert.Parameters.AddWithValue("bill_reference", payment.BillReference);
            insert.Parameters.AddWithValue("amount", capturedMinor);
            insert.Parameters.AddWithValue("currency", payment.Currency);
            insert.Parameters.AddWithValue("gateway", payment.Gateway);
            insert.Parameters.AddWithValue("payer", (object?)payerName ?? DBNull.Value);
            insert.Parameters.AddWithValue("items", JsonSerializer.Serialize(items));
            insert.Parameters.AddWithValue("at", at.UtcDateTime);
            await insert.ExecuteNonQueryAsync();
        }
        return new Captured(receipt, flag, ReceiptNumbers.ExcessOf(payment.AmountMinor, capturedMinor, billAmount, billPaid));
    }

    public async Task<bool> OpenRefund(RefundRow refund)
    {
        // One conditional update: refunds racing on one payment cannot together exceed what it captured.
        await using var reserve = await database.Command("""
            WITH reserved AS (
                UPDATE payments.payments SET refund_reserved_minor = refund_reserved_minor + @amount
                WHERE department = @department AND id = @payment AND captured_minor - refunded_minor - refund_reserved_minor >= @amount
                  AND NOT EXISTS (SELECT 1 FROM payments.refunds WHERE department = @department AND id = @id)
                RETURNING id)
            INSERT INTO payments.refunds (department, id, payment_id, amount_minor, currency, reason, state, gateway_refund_id, created_at)
            SELECT @department, @id, @payment, @amount, @currency, @reason, 'pending', NULL, @at FROM reserved
            """);
        reserve.Parameters.AddWithValue("department", refund.Department);
        reserve.Parameters.AddWithValue("payment", refund.PaymentId);
        reserve.Parameters.AddWithValue("id", refund.Id);
        reserve.Parameters.AddWithValue("amount", refund.AmountMinor);
        reserve.Parameters.AddWithValue("currency", refund.Currency);
        reserve.Parameters.AddWithValue("reason", refund.Reason);
        reserve.Parameters.AddWithValue("at", refund.CreatedAt.UtcDateTime);
        if (await reserve.ExecuteNonQueryAsync() == 1) return true;
        await using var exists = await database.Command("SELECT 1 FROM payments.refunds WHERE department = @department AND id = @id");
        exists.Parameters.AddWithValue("department", refund.Department);
        exists.Parameters.AddWithValue("id", refund.Id);
        return await exists.ExecuteScalarAsync() is not null; // opened before (a redelivery)
    }

    public async Task CloseRefund(string department, string refundId, string state, string? gatewayRefundId)
    {
        await using var command = await database.Command("""
            WITH closed AS (
                UPDATE payments.refunds SET state = @state, gateway_refund_id = @gateway_id
                WHERE department = @department AND id = @id AND state = 'pending'
                RETURNING payment_id, amount_minor),
            payment AS (
                UPDATE payments.payments p SET
                    refund_reserved_minor = CASE WHEN @state = 'unknown' THEN p.refund_reserved_minor ELSE GREATEST(0, p.refund_reserved_minor - closed.amount_minor) END,
                    refunded_minor = p.refunded_minor + CASE WHEN @state = 'completed' THEN closed.amount_minor ELSE 0 END
                FROM closed WHERE p.department = @department AND p.id = closed.payment_id
                RETURNING p.bill_id, closed.amount_minor)
            UPDATE payments.bills b SET paid_minor = GREATEST(0, b.paid_minor - payment.amount_minor)
            FROM payment WHERE @state = 'completed' AND b.department = @department AND b.id = payment.bill_id
            """);
        command.Parameters.AddWithValue("state", state);
        command.Parameters.Add(new NpgsqlParameter("gateway_id", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)gatewayRefundId ?? DBNull.Value });
        command.Parameters.AddWithValue("department", department);
        command.Parameters.AddWithValue("id", refundId);
        await command.ExecuteNonQueryAsync();
    }

    public async Task<RefundRow?> Refund(string department, string refundId, CancellationToken cancellationToken)
    {
        await using var connection = await Open(cancellationToken);
        await using var command = new NpgsqlCommand("""
            SELECT department, id, payment_id, amount_minor, currency, reason, state, created_at, gateway_refund_id
            FROM payments.refunds WHERE department = @department AND id = @id
            """, connection);
        command.Parameters.AddWithValue("department", department);
        command.Parameters.AddWithValue("id", refundId);
        await using var r = await command.ExecuteReaderAsync(cancellationToken);
        return await r.ReadAsync(cancellationToken)
            ? new RefundRow(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt64(3), r.GetString(4), r.GetString(5), r.GetString(6), Utc(r.GetDateTime(7)),
                r.IsDBNull(8) ? null : r.GetString(8))
            : null;
    }

    public async Task<IReadOnlyList<PaymentRow>> PaymentsOf(string account, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        await using var connection = await Open(cancellationToken);
        await using var command = new NpgsqlCommand($"""
            SELECT {PaymentColumns} FROM payments.payments WHERE account = @account AND created_at >= @from AND created_at < @to ORDER BY created_at
            """, connection);
        command.Parameters.AddWithValue("account", account);
        command.Parameters.AddWithValue("from", from.UtcDateTime);
        command.Parameters.AddWithValue("to", to.UtcDateTime);
        var rows = new List<PaymentRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) rows.Add(ReadPayment(reader));
        return rows;
    }

    public async Task<bool> StartRun(ReconciliationRun run, CancellationToken cancellationToken)
    {
        await using var connection = await Open(cancellationToken);
        await using var command = new NpgsqlCommand("""
            INSERT INTO payments.reconciliation_runs (run_id, account, day, requested_by, started_at) VALUES (@id, @account, @day, @by, @at)
            ON CONFLICT DO NOTHING
            """, connection);
        command.Parameters.AddWithValue("id", run.RunId);
        command.Parameters.AddWithValue("account", run.Account);
        command.Parameters.AddWithValue("day", run.Day);
        command.Parameters.AddWithValue("by", run.RequestedBy);
        command.Parameters.AddWithValue("at", run.StartedAt.UtcDateTime);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task FinishRun(string runId, DateTimeOffset at, int checkedPayments, IReadOnlyList<Reconciliation.Mismatch> mismatches, string? error,
        CancellationToken cancellationToken)
    {
        await using var connection = await Open(cancellationToken);
        await using var command = new NpgsqlCommand("""
            UPDATE payments.reconciliation_runs SET finished_at = @at, checked = @checked, mismatches = @mismatches::jsonb, error = @error WHERE run_id = @id
            """, connection);
        command.Parameters.AddWithValue("id", runId);
        command.Parameters.AddWithValue("at", at.UtcDateTime);
        command.Parameters.AddWithValue("checked", checkedPayments);
        command.Parameters.AddWithValue("mismatches", JsonSerializer.Serialize(mismatches));
        command.Parameters.AddWithValue("error", (object?)error ?? DBNull.Value);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public Task<ReconciliationRun?> Run(string runId, CancellationToken cancellationToken) => Reconciliation.ReconciliationRuns.Read(connectionString, runId, cancellationToken);

    public Task<int> PruneRuns(DateTimeOffset before, int batchSize, CancellationToken cancellationToken) => Prune("""
        DELETE FROM payments.reconciliation_runs WHERE run_id IN (
            SELECT run_id FROM payments.reconciliation_runs WHERE started_at < @before LIMIT @batch FOR UPDATE SKIP LOCKED)
        """, before, batchSize, cancellationToken);

    public Task<int> ForgetPayers(DateTimeOffset before, int batchSize, string? department, IReadOnlyCollection<string> except, CancellationToken cancellationToken) => Prune("""
        UPDATE payments.bills SET payer_name = NULL, payer_mobile = NULL, payer_email = NULL WHERE ctid IN (
            SELECT ctid FROM payments.bills WHERE created_at < @before AND (payer_name IS NOT NULL OR payer_mobile IS NOT NULL OR payer_email IS NOT NULL)
              AND (CASE WHEN @department::text IS NULL THEN NOT (department = ANY (@except)) ELSE department = @department END)
            LIMIT @batch FOR UPDATE SKIP LOCKED)
        """, before, batchSize, cancellationToken, parameters: c =>
        {
            c.Parameters.Add(new NpgsqlParameter("department", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)department ?? DBNull.Value });
            c.Parameters.AddWithValue("except", except.ToArray());
        });

    public Task<int> PruneReceipts(DateTimeOffset before, int batchSize, CancellationToken cancellationToken) => Prune("""
        WITH gone AS (
            DELETE FROM payments.receipts WHERE ctid IN (SELECT ctid FROM payments.receipts WHERE issued_at < @before LIMIT @batch FOR UPDATE SKIP LOCKED)
            RETURNING department, payment_id),
        payments_gone AS (
            DELETE FROM payments.payments p USING gone WHERE p.department = gone.department AND p.id = gone.payment_id)
        SELECT count(*) FROM gone
        """, before, batchSize, cancellationToken, scalar: true);

    public Task<int> PruneCallbacks(DateTimeOffset before, int batchSize, CancellationToken cancellationToken) => Prune("""
        DELETE FROM payments.callbacks WHERE id IN (SELECT id FROM payments.callbacks WHERE received_at < @before LIMIT @batch FOR UPDATE SKIP LOCKED)
        """, before, batchSize, cancellationToken);

    async Task<int> Prune(string sql, DateTimeOffset before, int batchSize, CancellationToken cancellationToken, bool scalar = false,
        Action<NpgsqlCommand>? parameters = null)
    {
        await using var connection = await Open(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("before", before.UtcDateTime);
        command.Parameters.AddWithValue("batch", batchSize);
        parameters?.Invoke(command);
        return scalar ? Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken)) : await command.ExecuteNonQueryAsync(cancellationToken);
    }

    async Task<PaymentRow?> ReadPayment(string where, Action<NpgsqlCommand> parameters, CancellationToken cancellationToken)
    {
        await using var connection = await Open(cancellationToken);
        await using var command = new NpgsqlCommand($"SELECT {PaymentColumns} FROM payments.payments WHERE {where}", connection);
        parameters(command);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadPayment(reader) : null;
    }

    static PaymentRow ReadPayment(NpgsqlDataReader r) => new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4),
        r.IsDBNull(5) ? null : r.GetString(5), r.GetInt64(6), r.GetString(7), r.GetString(8), r.GetString(9), r.GetString(10),
        r.IsDBNull(11) ? null : r.GetString(11), Utc(r.GetDateTime(12)), Utc(r.GetDateTime(13)), r.GetString(14),
        r.IsDBNull(15) ? null : r.GetString(15), r.IsDBNull(16) ? null : r.GetString(16), r.GetInt64(17), r.IsDBNull(18) ? null : r.GetString(18),
        r.GetInt64(19), r.GetInt64(20), r.IsDBNull(21) ? null : r.GetString(21));

    static BillRow ReadBill(NpgsqlDataReader r) => new(r.GetString(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3),
        r.IsDBNull(4) ? null : r.GetString(4), r.IsDBNull(5) ? null : r.GetString(5), JsonSerializer.Deserialize<List<BillItem>>(r.GetString(6)) ?? [],
        r.GetInt64(7), r.GetString(8), r.IsDBNull(9) ? null : DateOnly.FromDateTime(r.GetDateTime(9)), r.GetInt64(10), r.GetInt64(11),
        Utc(r.GetDateTime(12)), r.IsDBNull(13) ? null : r.GetString(13));

    static ReceiptRow ReadReceipt(NpgsqlDataReader r) => new(r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetString(3), r.GetString(4),
        r.IsDBNull(5) ? null : r.GetString(5), r.GetString(6), r.GetInt64(7), r.GetString(8), r.GetString(9), r.IsDBNull(10) ? null : r.GetString(10),
        JsonSerializer.Deserialize<List<BillItem>>(r.GetString(11)) ?? [], Utc(r.GetDateTime(12)));

    static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    async Task<NpgsqlConnection> Open(CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }
}
