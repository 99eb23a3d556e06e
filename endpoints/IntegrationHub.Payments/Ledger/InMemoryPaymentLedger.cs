namespace IntegrationHub.Payments.Ledger;

/// <summary>The ledger in memory (the embedded host and in-memory tests): one lock makes every change atomic.</summary>
internal sealed class InMemoryPaymentLedger : IPaymentLedger
{
    readonly object _gate = new();
    readonly Dictionary<(string, string), BillRow> _bills = [];
    readonly Dictionary<(string, string), PaymentRow> _payments = [];
    readonly Dictionary<(string, string), ReceiptRow> _receipts = [];
    readonly Dictionary<(string, string), long> _counters = [];
    readonly Dictionary<(string, string), RefundRow> _refunds = [];
    readonly Dictionary<string, ReconciliationRun> _runs = [];
    readonly List<CallbackRow> _callbacks = [];

    public Task<IReadOnlyList<CallbackRow>> Callbacks(int limit, CancellationToken cancellationToken)
    {
        lock (_gate) return Task.FromResult<IReadOnlyList<CallbackRow>>(_callbacks.AsEnumerable().Reverse().Take(limit).ToList());
    }

    public Task<BillRow> AddBill(BillRow bill, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (bill.IdempotencyKey is { } key && _bills.Values.FirstOrDefault(b => b.Department == bill.Department && b.IdempotencyKey == key) is { } earlier)
                return Task.FromResult(earlier);
            _bills[(bill.Department, bill.Id)] = bill;
            return Task.FromResult(bill);
        }
    }

    public Task<BillRow?> Bill(string department, string id, CancellationToken cancellationToken)
    {
        lock (_gate) return Task.FromResult(_bills.GetValueOrDefault((department, id)));
    }

    public Task<PaymentRow?> Payment(string department, string id, CancellationToken cancellationToken)
    {
        lock (_gate) return Task.FromResult(_payments.GetValueOrDefault((department, id)));
    }

    public Task<PaymentRow?> PaymentByReference(string reference, CancellationToken cancellationToken)
    {
        lock (_gate) return Task.FromResult(_payments.Values.FirstOrDefault(p => p.Reference == reference));
    }

    public Task<ReceiptRow?> Receipt(string department, string paymentId, CancellationToken cancellationToken)
    {
        lock (_gate) return Task.FromResult(_receipts.GetValueOrDefault((department, paymentId)));
    }

    public Task RecordCallback(CallbackRow callback, CancellationToken cancellationToken)
    {
        lock (_gate) _callbacks.Add(callback);
        return Task.CompletedTask;
    }

    public Task<bool> Open(PaymentRow payment)
    {
        lock (_gate)
        {
            if (_payments.ContainsKey((payment.Department, payment.Id))) return Task.FromResult(true);
            if (payment.BillId is { } billId)
            {
                if (!_bills.TryGetValue((payment.Department, billId), out var bill) || bill.OutstandingMinor < payment.AmountMinor)
                    return Task.FromResult(false);
                _bills[(payment.Department, billId)] = bill with { ReservedMinor = bill.ReservedMinor + payment.AmountMinor };
            }
            _payments[(payment.Department, payment.Id)] = payment;
            return Task.FromResult(true);
        }
    }

    public Task SetGatewayId(string department, string id, string gatewayId, string? checkoutTokenHash)
    {
        lock (_gate)
            _payments[(department, id)] = _payments[(department, id)] with { GatewayId = gatewayId, CheckoutTokenHash = checkoutTokenHash };
        return Task.CompletedTask;
    }

    public Task Close(string department, string id, string state)
    {
        lock (_gate)
        {
            // Nothing to close when the payment never opened (its bill was taken by another).
            if (!_payments.TryGetValue((department, id), out var payment) || payment.State != PaymentStates.Pending) return Task.CompletedTask;
            Release(payment);
            _payments[(department, id)] = payment with { State = state };
        }
        return Task.CompletedTask;
    }

    public Task<Captured> Capture(string department, string id, long capturedMinor, string? instrument, string fiscalYear, DateTimeOffset at)
    {
        lock (_gate)
        {
            if (_receipts.TryGetValue((department, id), out var issued)) return Task.FromResult(new Captured(issued, _payments[(department, id)].Flag, Excess(issued)));
            var payment = _payments[(department, id)];
            BillRow? bill = null;
            if (payment.BillId is { } billId && _bills.TryGetValue((department, billId), out var found))
            {
                var reserved = payment.State == PaymentStates.Pending ? payment.AmountMinor : 0;
                bill = found with { ReservedMinor = found.ReservedMinor - reserved, PaidMinor = found.PaidMinor + capturedMinor };
                _bills[(department, billId)] = bill;
            }
            var flag = ReceiptNumbers.FlagOf(payment.State, payment.AmountMinor, capturedMinor, bill?.AmountMinor, bill?.PaidMinor);
            _payments[(department, id)] = payment with { State = PaymentStates.Captured, CapturedMinor = capturedMinor, Flag = flag, Instrument = instrument };
            var sequence = _counters[(department, fiscalYear)] = _counters.GetValueOrDefault((department, fiscalYear)) + 1;
            var receipt = new ReceiptRow(department, fiscalYear, sequence, ReceiptNumbers.Of(department, fiscalYear, sequence), id, payment.BillId,
                payment.BillReference, capturedMinor, payment.Currency, payment.Gateway, bill?.PayerName,
                ReceiptNumbers.ItemsOf(bill?.Items, payment.BillReference, payment.Description, capturedMinor), at);
            _receipts[(department, id)] = receipt;
            return Task.FromResult(new Captured(receipt, flag,
                ReceiptNumbers.ExcessOf(payment.AmountMinor, capturedMinor, bill?.AmountMinor, bill?.PaidMinor)));
        }
    }

    public Task<int> ForgetPayers(DateTimeOffset before, int batchSize, string? department, IReadOnlyCollection<string> except, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var old = _bills.Where(b => b.Value.CreatedAt < before && (b.Value.PayerName ?? b.Value.PayerMobile ?? b.Value.PayerEmail) is not null
                                        && (department is null ? !except.Contains(b.Value.Department) : b.Value.Department == department))
                .Take(batchSize).Select(b => b.Key).ToList();
            foreach (var key in old) _bills[key] = _bills[key] with { PayerName = null, PayerMobile = null, PayerEmail = null };
            return Task.FromResult(old.Count);
        }
    }

    public Task<int> PruneReceipts(DateTimeOffset before, int batchSize, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var old = _receipts.Where(r => r.Value.IssuedAt < before).Take(batchSize).Select(r => r.Key).ToList();
            foreach (var key in old)
            {
                _receipts.Remove(key);
                _payments.Remove(key);
            }
            return Task.FromResult(old.Count);
        }
    }

    public Task<int> PruneCallbacks(DateTimeOffset before, int batchSize, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var count = Math.Min(batchSize, _callbacks.Count(c => c.ReceivedAt < before));
            var removed = 0;
            _callbacks.RemoveAll(c => c.ReceivedAt < before && removed++ < count);
            return Task.FromResult(count);
        }
    }

    long Excess(ReceiptRow receipt)
    {
        var payment = _payments[(receipt.Department, receipt.PaymentId)];
        var bill = payment.BillId is { } billId ? _bills.GetValueOrDefault((receipt.Department, billId)) : null;
        return ReceiptNumbers.ExcessOf(payment.AmountMinor, payment.CapturedMinor, bill?.AmountMinor, bill?.PaidMinor);
    }

    public Task<bool> OpenRefund(RefundRow refund)
    {
        lock (_gate)
        {
            if (_refunds.ContainsKey((refund.Department, refund.Id))) return Task.FromResult(true);
            if (!_payments.TryGetValue((refund.Department, refund.PaymentId), out var payment) || payment.RefundableMinor < refund.AmountMinor)
                return Task.FromResult(false);
            _payments[(refund.Department, refund.PaymentId)] = payment with { RefundReservedMinor = payment.RefundReservedMinor + refund.AmountMinor };
            _refunds[(refund.Department, refund.Id)] = refund;
            return Task.FromResult(true);
        }
    }

    public Task CloseRefund(string department, string refundId, string state, string? gatewayRefundId)
    {
        lock (_gate)
        {
            if (!_refunds.TryGetValue((department, refundId), out var refund) || refund.State != RefundStates.Pending) return Task.CompletedTask;
            _refunds[(department, refundId)] = refund with { State = state, GatewayRefundId = gatewayRefundId };
            if (state == RefundStates.Unknown) return Task.CompletedTask; // stays set aside until operators know
            var payment = _payments[(department, refund.PaymentId)];
            var completed = state == RefundStates.Completed;
            _payments[(department, refund.PaymentId)] = payment with
            {
                RefundReservedMinor = Math.Max(0, payment.RefundReservedMinor - refund.AmountMinor),
                RefundedMinor = payment.RefundedMinor + (completed ? refund.AmountMinor : 0),
            };
            if (completed && payment.BillId is { } billId && _bills.TryGetValue((department, billId), out var bill))
                _bills[(department, billId)] = bill with { PaidMinor = Math.Max(0, bill.PaidMinor - refund.AmountMinor) };
        }
        return Task.CompletedTask;
    }

    public Task<RefundRow?> Refund(string department, string refundId, CancellationToken cancellationToken)
    {
        lock (_gate) return Task.FromResult(_refunds.GetValueOrDefault((department, refundId)));
    }

    public Task<IReadOnlyList<PaymentRow>> PaymentsOf(string account, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        lock (_gate)
            return Task.FromResult<IReadOnlyList<PaymentRow>>(_payments.Values.Where(p => p.Account == account && p.CreatedAt >= from && p.CreatedAt < to).ToList());
    }

    public Task<bool> StartRun(ReconciliationRun run, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_runs.ContainsKey(run.RunId)
                || (run.RequestedBy == "schedule" && _runs.Values.Any(r => r.RequestedBy == "schedule" && r.Account == run.Account && r.Day == run.Day)))
                return Task.FromResult(false);
            _runs[run.RunId] = run;
            return Task.FromResult(true);
        }
    }

    public Task FinishRun(string runId, DateTimeOffset at, int checkedPayments, IReadOnlyList<Reconciliation.Mismatch> mismatches, string? error,
        CancellationToken cancellationToken)
    {
        lock (_gate)
            if (_runs.TryGetValue(runId, out var run))
                _runs[runId] = run with { FinishedAt = at, Checked = checkedPayments, Mismatches = mismatches, Error = error };
        return Task.CompletedTask;
    }

    public Task<ReconciliationRun?> Run(string runId, CancellationToken cancellationToken)
    {
        lock (_gate) return Task.FromResult(_runs.GetValueOrDefault(runId));
    }

    public Task<int> PruneRuns(DateTimeOffset before, int batchSize, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var old = _runs.Values.Where(r => r.StartedAt < before).Take(batchSize).Select(r => r.RunId).ToList();
            foreach (var id in old) _runs.Remove(id);
            return Task.FromResult(old.Count);
        }
    }

    void Release(PaymentRow payment)
    {
        if (payment.BillId is { } billId && _bills.TryGetValue((payment.Department, billId), out var bill))
            _bills[(payment.Department, billId)] = bill with { ReservedMinor = Math.Max(0, bill.ReservedMinor - payment.AmountMinor) };
    }
}
