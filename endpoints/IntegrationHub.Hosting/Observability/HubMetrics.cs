using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace IntegrationHub.Hosting.Observability;

/// <summary>The hub's own instruments, exported on <c>/metrics</c> next to ASP.NET Core's and the runtime's.</summary>
public sealed class HubMetrics
{
    public const string MeterName = "IntegrationHub";
    public const string ActivitySourceName = "IntegrationHub.Bus";

    internal static readonly ActivitySource ActivitySource = new(ActivitySourceName);
    internal static readonly Meter Meter = new(MeterName);

    static readonly Counter<long> Handled = Meter.CreateCounter<long>("hub.messages.handled", description: "Messages handled, by endpoint, type and outcome");
    static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("hub.messages.duration", unit: "s", description: "Time to handle one message");
    static readonly Counter<long> DelayedRetries = Meter.CreateCounter<long>("hub.messages.delayed_retries", description: "Messages scheduled for a delayed retry");
    static readonly Counter<long> DeadLetters = Meter.CreateCounter<long>("hub.messages.dead_lettered", description: "Messages moved to the error queue");

    static readonly Histogram<int> GroupSize = Meter.CreateHistogram<int>("hub.group_commit.size", unit: "{item}",
        description: "Items (API requests) committed by one group commit", advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256] });
    static readonly Histogram<double> GroupDuration = Meter.CreateHistogram<double>("hub.group_commit.duration", unit: "s",
        description: "Time from the start of a group commit to its messages sent");

    static readonly Counter<long> Parked = Meter.CreateCounter<long>("hub.outbox.parked", description: "Outbox messages parked for operators after failing to be sent for too long");

    readonly KeyValuePair<string, object?> _endpoint;

    public HubMetrics(string endpoint) => _endpoint = new("endpoint", endpoint);

    internal void MessageHandled(string? messageType, bool succeeded, TimeSpan elapsed)
    {
        var type = new KeyValuePair<string, object?>("message_type", ShortName(messageType));
        Handled.Add(1, _endpoint, type, new("outcome", succeeded ? "success" : "failure"));
        Duration.Record(elapsed.TotalSeconds, _endpoint, type);
    }

    internal static void GroupCommitted(string endpoint, int items, TimeSpan elapsed)
    {
        var tag = new KeyValuePair<string, object?>("endpoint", endpoint);
        GroupSize.Record(items, tag);
        GroupDuration.Record(elapsed.TotalSeconds, tag);
    }

    internal void DelayedRetry(string? messageType) => DelayedRetries.Add(1, _endpoint, new("message_type", ShortName(messageType)));

    internal void OutboxParked(int messages) => Parked.Add(messages, _endpoint);

    internal void DeadLettered(string? messageType) => DeadLetters.Add(1, _endpoint, new("message_type", ShortName(messageType)));

    /// <summary>"Ns.StartEcho, Assembly" → "StartEcho": short, stable label values.</summary>
    internal static string ShortName(string? messageType)
    {
        if (string.IsNullOrEmpty(messageType)) return "unknown";
        var typeName = messageType.Split(',')[0];
        return typeName[(typeName.LastIndexOf('.') + 1)..];
    }
}
