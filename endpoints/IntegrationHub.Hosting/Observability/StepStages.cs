using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace IntegrationHub.Hosting.Observability;

/// <summary>
/// Where the time of one durable step goes: a histogram of seconds per stage of a handled message, from its arrival
/// to its ack, exported on <c>/metrics</c> beside the others (<c>hub_messages_stage_duration_seconds</c>) and read by
/// the saga benchmark. <see cref="Receive"/> is the broker hop and the wait for a free handler (from the sender's
/// <c>rbs2-senttime</c>), so it grows with the queue; the other stages are work.
/// </summary>
public static class StepStages
{
    public const string InstrumentName = "hub.messages.stage.duration";

    public const string Receive = "receive";
    public const string Deserialize = "deserialize";
    public const string InboxClaim = "inbox_claim";
    public const string SagaLoad = "saga_load";
    public const string Handler = "handler";
    public const string SagaSave = "saga_save";
    public const string OutboxWrite = "outbox_write";
    public const string Commit = "commit";
    public const string Send = "send";
    public const string Ack = "ack";

    /// <summary>In the order a step goes through them.</summary>
    public static readonly IReadOnlyList<string> All = [Receive, Deserialize, InboxClaim, SagaLoad, Handler, SagaSave, OutboxWrite, Commit, Send, Ack];

    static readonly Histogram<double> Duration = HubMetrics.Meter.CreateHistogram<double>(InstrumentName, unit: "s",
        description: "Time a handled message spends in each stage of its step, by endpoint and stage");

    /// <summary>False while nothing listens (no exporter, no benchmark): the stages then cost nothing to skip.</summary>
    internal static bool Enabled => Duration.Enabled;

    /// <summary>Records the time since <paramref name="started"/> (a <see cref="Stopwatch.GetTimestamp"/>).</summary>
    internal static void Record(string stage, string? endpoint, long started)
    {
        if (Duration.Enabled) Record(stage, endpoint, Stopwatch.GetElapsedTime(started));
    }

    internal static void Record(string stage, string? endpoint, TimeSpan elapsed)
    {
        if (!Duration.Enabled) return;
        Duration.Record(elapsed.TotalSeconds, new("stage", stage), new("endpoint", endpoint ?? "unknown"));
    }
}

/// <summary>Times the handlers alone (after the saga is loaded, before it is saved): the <see cref="StepStages.Handler"/> stage.</summary>
[Rebus.Pipeline.StepDocumentation("Records the time the handlers of a message take.")]
internal sealed class HandlerStageStep(string endpoint) : Rebus.Pipeline.IIncomingStep
{
    public async Task Process(Rebus.Pipeline.IncomingStepContext context, Func<Task> next)
    {
        var started = Stopwatch.GetTimestamp();
        await next();
        StepStages.Record(StepStages.Handler, endpoint, started);
    }
}
