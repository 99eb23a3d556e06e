using System.Diagnostics;
using System.Globalization;
using Rebus.Messages;
using Rebus.Pipeline;
using Serilog.Context;

namespace IntegrationHub.Hosting.Observability;

/// <summary>
/// Around each handled message: log properties (message id, type, correlation id, tenant, endpoint — never the
/// body), a trace span and the handled/duration metrics.
/// </summary>
[StepDocumentation("Adds log context, a trace span and metrics around the handling of each message.")]
internal sealed class MessageObservabilityStep(string endpointName, HubMetrics metrics) : IIncomingStep
{
    public async Task Process(IncomingStepContext context, Func<Task> next)
    {
        var headers = context.Load<TransportMessage>().Headers;
        if (headers.ContainsKey(Headers.DeferredUntil))
        {
            await next(); // parked until due, not handled yet
            return;
        }

        var type = headers.GetValueOrDefault(Headers.Type);
        var started = Stopwatch.GetTimestamp();
        if (StepStages.Enabled && DateTimeOffset.TryParse(headers.GetValueOrDefault(Headers.SentTime), CultureInfo.InvariantCulture,
                DateTimeStyles.RoundtripKind, out var sent))
            StepStages.Record(StepStages.Receive, endpointName, DateTimeOffset.UtcNow - sent);

        using var _1 = LogContext.PushProperty("Endpoint", endpointName);
        using var _2 = LogContext.PushProperty("MessageId", headers.GetValueOrDefault(Headers.MessageId));
        using var _3 = LogContext.PushProperty("MessageType", HubMetrics.ShortName(type));
        using var _4 = LogContext.PushProperty("CorrelationId", headers.GetValueOrDefault(Headers.CorrelationId));
        using var _5 = LogContext.PushProperty("Tenant", headers.GetValueOrDefault(Bus.HubHeaders.Tenant));
        using var activity = HubMetrics.ActivitySource.StartActivity($"handle {HubMetrics.ShortName(type)}", ActivityKind.Consumer);
        activity?.SetTag("messaging.system", "rebus");
        activity?.SetTag("messaging.destination.name", endpointName);
        activity?.SetTag("messaging.message.id", headers.GetValueOrDefault(Headers.MessageId));
        activity?.SetTag("messaging.message.conversation_id", headers.GetValueOrDefault(Headers.CorrelationId));

        try
        {
            await next();
            metrics.MessageHandled(type, succeeded: true, Stopwatch.GetElapsedTime(started));
        }
        catch (Exception exception)
        {
            activity?.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
            metrics.MessageHandled(type, succeeded: false, Stopwatch.GetElapsedTime(started));
            throw;
        }
    }
}
