namespace IntegrationHub.Payments.Ledger;

/// <summary>The ledger in memory (the embedded host and in-memory tests): one lock makes every change atomic.</summary>
internal sealed class InMemoryPaymentLedger : IPaymentLedger
{
    readonly object _gate = new();
    readonly Dictionary<(string, string), BillRow> _bills = [];
    readonly Dictionary<(string, string), PaymentRow> _payments = [];
    readonly Dictionary<(string, string), ReceiptRow> _receipts = [];
    readonly Dictionary<(string, string), long> _counters = [];
    readonly List<CallbackRow> _callbacks = [];

    public IReadOnlyList<CallbackRow> Callbacks { get { lock (_gate) return [.. _callbacks]; } }

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

    public Task<Captured> Capture(string department, string id, long capturedMinor, string fiscalYear, DateTimeOffset at)
    {
        lock (_gate)
        {
            if (_receipts.TryGetValue((department, id), out var issued)) return Task.FromResult(new Captured(issued, _payments[(department, id)].Flag));
            var payment = _payments[(department, id)];
            BillRow? bill = null;
            if (payment.BillId is { } billId && _bills.TryGetValue((department, billId), out var found))
            {
                var reserved = payment.State == PaymentStates.Pending ? payment.AmountMinor : 0;
                bill = found with { ReservedMinor = found.ReservedMinor - reserved, PaidMinor = found.PaidMinor + capturedMinor };
                _bills[(department, billId)] = bill;
            }
            var flag = ReceiptNumbers.FlagOf(payment.State, payment.AmountMinor, capturedMinor, bill?.AmountMinor, bill?.PaidMinor);
            _payments[(department, id)] = payment with { State = PaymentStates.Captured, CapturedMinor = capturedMinor, Flag = flag };
            var sequence = _counters[(department, fiscalYear)] = _counters.GetValueOrDefault((department, fiscalYear)) + 1;
            var receipt = new ReceiptRow(department, fiscalYear, sequence, ReceiptNumbers.Of(department, fiscalYear, sequence), id, payment.BillId,
                payment.BillReference, capturedMinor, payment.Currency, payment.Gateway, bill?.PayerName, bill?.Items ?? [new BillItem(payment.Description, capturedMinor)], at);
            _receipts[(department, id)] = receipt;
            return Task.FromResult(new Captured(receipt, flag));
        }
    }

    public Task<int> ForgetPayers(DateTimeOffset before, int batchSize, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var old = _bills.Where(b => b.Value.CreatedAt < before && (b.Value.PayerName ?? b.Value.PayerMobile ?? b.Value.PayerEmail) is not null)
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

    void Release(PaymentRow payment)
    {
        if (payment.BillId is { } billId && _bills.TryGetValue((payment.Department, billId), out var bill))
            _bills[(payment.Department, billId)] = bill with { ReservedMinor = Math.Max(0, bill.ReservedMinor - payment.AmountMinor) };
    }
}
