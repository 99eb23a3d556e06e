namespace IntegrationHub.Adapters.Notifications.Simulator;

/// <summary>How a simulated provider sends its receipts.</summary>
public enum ReceiptMode
{
    /// <summary>Each status once, in order, after the delay.</summary>
    InOrder,

    /// <summary>Each status twice.</summary>
    Twice,

    /// <summary>The final status first, then the earlier ones.</summary>
    OutOfOrder,

    /// <summary>No receipts at all.</summary>
    None,
}

/// <summary>What a simulated provider does with the next sends: take them, refuse them (5xx), or take them and never answer.</summary>
public sealed class ProviderBehaviour
{
    int _refuse;
    int _hang;

    public TimeSpan ReceiptDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    public ReceiptMode Receipts { get; set; } = ReceiptMode.InOrder;

    /// <summary>How the messages end: delivered, or for recipients in this set, undelivered (SMS) or bounced (e-mail).</summary>
    public HashSet<string> Undeliverable { get; } = [];

    /// <summary>The next <paramref name="count"/> sends are refused with 503: surely not taken.</summary>
    public void RefuseNext(int count) => Interlocked.Exchange(ref _refuse, count);

    /// <summary>The next <paramref name="count"/> sends are taken but answered only after <see cref="HangFor"/>: the sender times out not knowing.</summary>
    public void HangNext(int count) => Interlocked.Exchange(ref _hang, count);

    public TimeSpan HangFor { get; set; } = TimeSpan.FromSeconds(30);

    internal bool TakeRefusal() => Take(ref _refuse);

    internal bool TakeHang() => Take(ref _hang);

    static bool Take(ref int counter)
    {
        while (true)
        {
            var current = Volatile.Read(ref counter);
            if (current <= 0) return false;
            if (Interlocked.CompareExchange(ref counter, current - 1, current) == current) return true;
        }
    }
}
