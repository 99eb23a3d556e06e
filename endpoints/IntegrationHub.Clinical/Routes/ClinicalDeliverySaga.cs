using IntegrationHub.Clinical.Hl7v2;
using IntegrationHub.Contracts.Clinical.Commands;
using IntegrationHub.Contracts.Clinical.Events;
using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Departments;
using Rebus.Bus;
using Rebus.Handlers;
using Rebus.Messages;
using Rebus.Pipeline;
using Rebus.Sagas;

namespace IntegrationHub.Clinical.Routes;

/// <summary>
/// One delivery of clinical data to a department's system — a FHIR Bundle to its FHIR server (<see cref="DeliverFhirBundle"/>)
/// or an HL7 v2 message to a legacy system (<see cref="DeliverHl7v2Message"/>) — followed as a status resource at
/// <c>/api/v1/clinical/deliveries/{id}</c>: begun → the deadline requested → attempt 1 (made outside the saga, by
/// <see cref="FhirRouteHandler"/> or <see cref="Hl7v2DeliveryHandler"/>) → delivered, or a failure that may pass later
/// (another attempt after a growing delay, a timeout: no handler waits), or a refusal. Every end publishes one event
/// (<see cref="FhirBundleDelivered"/>, <see cref="Hl7v2MessageDelivered"/>, <see cref="FhirBundleDeliveryFailed"/>,
/// <see cref="Hl7v2MessageDeliveryFailed"/>), moves the status to its final value and completes the saga. The deadline
/// ends a delivery waiting for its next attempt at once; one with an attempt under way ends with that attempt — as
/// delivered when it got through — so the hub never reports as failed what the other system received.
/// <para>
/// A delivery is its department's: sagas are keyed by department and id, and an id another department's delivery
/// already holds fails at once (ids of status resources are unique across the hub).
/// </para>
/// </summary>
public sealed class ClinicalDeliverySaga(IBus bus, EndpointRuntime<ClinicalEndpoint> clinical, ClinicalDeliveryOptions options,
    ClinicalRoutesOptions routes, IMessageContext context, TimeProvider time, ILogger<ClinicalDeliverySaga> logger) : Saga<ClinicalDeliveryData>,
    IAmInitiatedBy<DeliverFhirBundle>,
    IAmInitiatedBy<DeliverHl7v2Message>,
    IHandleMessages<DeliveryAttempted>,
    IHandleMessages<RetryDelivery>,
    IHandleMessages<DeliveryDeadlinePassed>
{
    protected override void CorrelateMessages(ICorrelationConfig<ClinicalDeliveryData> config)
    {
        config.Correlate<DeliverFhirBundle>(m => ClinicalDelivery.Key(m.Department, m.DeliveryId), d => d.Key);
        config.Correlate<DeliverHl7v2Message>(m => ClinicalDelivery.Key(m.Department, m.DeliveryId), d => d.Key);
        config.Correlate<DeliveryAttempted>(m => m.Key, d => d.Key);
        config.Correlate<RetryDelivery>(m => m.Key, d => d.Key);
        config.Correlate<DeliveryDeadlinePassed>(m => m.Key, d => d.Key);
    }

    public Task Handle(DeliverFhirBundle message) =>
        Begin(message.DeliveryId, message.Department, ClinicalDelivery.Fhir, routes.Of(message.Department)?.FhirServer?.Host ?? "", data =>
        {
            data.PatientId = message.PatientId;
            data.Version = message.Version;
            data.UpdatesPatient = message.UpdatesPatient;
            data.Payload = message.Bundle;
        });

    public Task Handle(DeliverHl7v2Message message) =>
        Begin(message.DeliveryId, message.Department, ClinicalDelivery.Hl7v2, message.Destination, data => data.Payload = message.Message);

    async Task Begin(string deliveryId, string department, string target, string destination, Action<ClinicalDeliveryData> payload)
    {
        if (!IsNew)
        {
            // A redelivered start, or another command reusing a running delivery's id: either way nothing new starts.
            logger.LogInformation("Delivery {DeliveryId} of {Department} is under way; a second start with its id changes nothing", deliveryId, department);
            return;
        }
        department = Hosting.Departments.DepartmentRegistry.Normalize(department);
        var earlier = await clinical.Status.Find(ClinicalDelivery.Kind, department, deliveryId);
        if (earlier is not null && ClinicalDelivery.Kind.IsFinal(earlier.Status))
        {
            logger.LogWarning("Delivery {DeliveryId} of {Department} ended before ({Status}); it is not made again (send it with a new id)",
                deliveryId, department, earlier.Status);
            MarkAsComplete();
            return;
        }

        Data.Key = ClinicalDelivery.Key(department, deliveryId);
        Data.DeliveryId = deliveryId;
        Data.Department = department;
        Data.Target = target;
        Data.Destination = destination;
        payload(Data);
        // A delivery a department asked for over HTTP has its resource already; one an HL7 v2 message began gets it here.
        if (earlier is null && !await clinical.Status.Start(ClinicalDelivery.Kind, new NewStatusResource(deliveryId, department, time.GetUtcNow(),
                ClinicalDelivery.Attributes(target, destination, Data.PatientId), ClinicalDelivery.EventRoute, IdempotencyKey: null, BodyHash: "")))
        {
            await Fail($"the delivery id '{deliveryId}' is taken by another delivery; send it with another id", status: false);
            return;
        }
        await bus.DeferLocal(options.Deadline, new DeliveryDeadlinePassed(Data.Key));
        await Attempt(1);
    }

    public async Task Handle(DeliveryAttempted message)
    {
        if (message.Attempt != Data.Attempt || !Data.AttemptUnderWay) return; // a redelivered answer: this attempt was answered
        Data.AttemptUnderWay = false;

        if (message.Outcome == DeliveryOutcome.Delivered)
        {
            await Delivered(message);
            return;
        }
        if (message.Outcome == DeliveryOutcome.Refused)
        {
            await Fail($"refused: {message.Detail}");
            return;
        }
        if (Data.DeadlinePassed)
        {
            await Fail($"not delivered within {options.Deadline} ({message.Attempt} attempt(s); the last failure: {message.Detail})");
            return;
        }
        if (message.Attempt >= options.MaxAttempts)
        {
            await Fail($"{message.Detail} (attempt {message.Attempt} of {options.MaxAttempts}, the last)");
            return;
        }

        Data.LastFailure = message.Detail;
        var delay = options.DelayBefore(message.Attempt + 1);
        await Status(ClinicalDelivery.Retrying, $"attempt {message.Attempt} failed", $"{message.Detail}; attempt {message.Attempt + 1} in {delay}");
        await bus.DeferLocal(delay, new RetryDelivery(Data.Key, message.Attempt + 1));
    }

    public async Task Handle(RetryDelivery message)
    {
        if (message.Attempt != Data.Attempt + 1 || Data.AttemptUnderWay) return; // a timeout delivered twice
        await Attempt(message.Attempt);
    }

    public async Task Handle(DeliveryDeadlinePassed message)
    {
        if (Data.DeadlinePassed) return;
        if (!Data.AttemptUnderWay)
        {
            await Fail($"not delivered within {options.Deadline} ({Data.Attempt} attempt(s)" + (Data.LastFailure is { } last ? $"; the last failure: {last})" : ")"));
            return;
        }
        // The system may be taking the data right now: the attempt's answer ends the delivery, and no other follows.
        Data.DeadlinePassed = true;
        await Status(ClinicalDelivery.Accepted, "deadline passed", $"attempt {Data.Attempt} is under way: its answer ends the delivery");
    }

    async Task Delivered(DeliveryAttempted message)
    {
        if (message.Fhir is { } fhir) await bus.Publish(fhir);
        if (message.Hl7v2 is { } hl7v2) await bus.Publish(hl7v2);
        var result = (message.Fhir?.WebhookData() ?? message.Hl7v2?.WebhookData())?.ToJsonString();
        await Status(ClinicalDelivery.Delivered, "delivered", $"attempt {message.Attempt}: {message.Detail}", result: result);
        MarkAsComplete();
    }

    async Task Attempt(int attempt)
    {
        Data.Attempt = attempt;
        Data.AttemptUnderWay = true;
        if (Data.Target == ClinicalDelivery.Fhir)
            await bus.SendLocal(new AttemptFhirDelivery(Data.Key, new DeliverFhirBundle(Data.DeliveryId, Data.Department, Data.PatientId, Data.Version,
                Data.UpdatesPatient, Data.Payload), attempt));
        else
            await bus.SendLocal(new AttemptHl7v2Delivery(Data.Key, new DeliverHl7v2Message(Data.DeliveryId, Data.Department, Data.Destination, Data.Payload), attempt));
    }

    /// <param name="status">False when the delivery has no status resource of its department's to move on.</param>
    async Task Fail(string reason, bool status = true)
    {
        var at = time.GetUtcNow();
        logger.LogWarning("Delivery {DeliveryId} of {Department} to {Target} {Destination} failed: {Reason}", Data.DeliveryId, Data.Department,
            Data.Target, Data.Destination, reason);
        if (Data.Target == ClinicalDelivery.Fhir)
            await bus.Publish(new FhirBundleDeliveryFailed(Data.DeliveryId, Data.Department, Data.PatientId, Data.Version, reason, Data.Attempt, at));
        else
            await bus.Publish(new Hl7v2MessageDeliveryFailed(Data.DeliveryId, Data.Department, Data.Destination, reason, Data.Attempt, at));
        if (status) await Status(ClinicalDelivery.Failed, "failed", reason, error: reason);
        MarkAsComplete();
    }

    Task Status(string status, string step, string detail, string? result = null, string? error = null) =>
        clinical.Status.Apply(ClinicalDelivery.Kind, new StatusUpdate(Data.DeliveryId, Data.Department, context.Headers[Headers.MessageId], status, step,
            detail, time.GetUtcNow(), result, error));
}

public sealed class ClinicalDeliveryData : SagaData
{
    /// <summary><see cref="ClinicalDelivery.Key"/>: department and delivery id.</summary>
    public string Key { get; set; } = "";
    public string DeliveryId { get; set; } = "";
    public string Department { get; set; } = "";
    public string Target { get; set; } = "";
    public string Destination { get; set; } = "";
    public string PatientId { get; set; } = "";
    public long Version { get; set; }
    public bool UpdatesPatient { get; set; }

    /// <summary>The Bundle (JSON) or the v2 message (ER7): personal data, kept only while the delivery runs.</summary>
    public string Payload { get; set; } = "";

    public int Attempt { get; set; }
    public bool AttemptUnderWay { get; set; }
    public bool DeadlinePassed { get; set; }
    public string? LastFailure { get; set; }
}

/// <summary>Deliveries as status resources, and what their attributes say.</summary>
public static class ClinicalDelivery
{
    public const string Route = "/api/v1/clinical/deliveries";
    public const string Accepted = "accepted";
    public const string Retrying = "retrying";
    public const string Delivered = "delivered";
    public const string Failed = "failed";
    public const string Fhir = "fhir";
    public const string Hl7v2 = "hl7v2";

    /// <summary>The "route" of deliveries an HL7 v2 message began (they have no idempotency key of their own).</summary>
    internal const string EventRoute = "clinical event";

    public static StatusKind Kind { get; } = new("delivery", [Accepted, Retrying], [Delivered, Failed], Route, IdAlias: "deliveryId");

    /// <summary>What a delivery's saga is found by: its department and its id (another department may choose the same id).</summary>
    public static string Key(string department, string deliveryId) => $"{Hosting.Departments.DepartmentRegistry.Normalize(department)}/{deliveryId}";

    /// <summary>The delivery of a clinical event to one of the department's routes: its id is the event's, then the target.</summary>
    public static string IdFor(string eventId, string target) => $"{eventId}:{target}";

    public static Dictionary<string, string> Attributes(string target, string destination, string? patientId)
    {
        var attributes = new Dictionary<string, string> { ["target"] = target, ["destination"] = destination };
        if (patientId is { Length: > 0 }) attributes["patientId"] = patientId;
        return attributes;
    }
}

public enum DeliveryOutcome
{
    Delivered,
    /// <summary>It may pass later (an unexpected fault in the attempt too): the saga tries again after a delay, until its attempts or deadline run out.</summary>
    Retry,
    /// <summary>The system refuses it as it is: trying again would not change that.</summary>
    Refused,
}

// Messages the Clinical endpoint sends itself; no other endpoint sees them.
public sealed record AttemptFhirDelivery(string Key, DeliverFhirBundle Delivery, int Attempt);
public sealed record AttemptHl7v2Delivery(string Key, DeliverHl7v2Message Delivery, int Attempt);

/// <param name="Detail">What happened, for the timeline: statuses and codes, never the data.</param>
/// <param name="Fhir">When a FHIR delivery got through: the event the saga publishes (the handler knows what was written).</param>
/// <param name="Hl7v2">The same for an HL7 v2 delivery.</param>
public sealed record DeliveryAttempted(string Key, int Attempt, DeliveryOutcome Outcome, string Detail, FhirBundleDelivered? Fhir = null,
    Hl7v2MessageDelivered? Hl7v2 = null);
public sealed record RetryDelivery(string Key, int Attempt);
public sealed record DeliveryDeadlinePassed(string Key);
