using IntegrationHub.Contracts.Requests.Events;
using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Departments;
using Rebus.Handlers;
using Rebus.Messages;
using Rebus.Pipeline;

namespace IntegrationHub.Gateway;

/// <summary>
/// Keeps what <c>GET /api/v1/requests/{id}</c> shows up to date from the request's events. Each event becomes one
/// timeline entry keyed by its message id, so a redelivered event changes nothing; the status only moves forward.
/// </summary>
public sealed class RequestStatusProjection(EndpointRuntime<GatewayEndpoint> gateway, IMessageContext context)
    : IHandleMessages<RequestProgressed>, IHandleMessages<RequestCompleted>, IHandleMessages<RequestFailed>, IHandleMessages<RequestTimedOut>
{
    public Task Handle(RequestProgressed message) =>
        Apply(message.RequestId, message.Tenant, RequestStatus.InProgress, message.Step, message.Detail, message.At);

    public Task Handle(RequestCompleted message) =>
        Apply(message.RequestId, message.Tenant, RequestStatus.Completed, "completed", null, message.At, result: message.Result);

    public Task Handle(RequestFailed message) =>
        Apply(message.RequestId, message.Tenant, RequestStatus.Failed, "failed", message.Error, message.At, error: message.Error);

    public Task Handle(RequestTimedOut message) =>
        Apply(message.RequestId, message.Tenant, RequestStatus.TimedOut, "timed-out", "no answer from the provider in time", message.At,
            error: "The provider did not answer in time.");

    Task Apply(string requestId, string department, string status, string step, string? detail, DateTimeOffset at,
        string? result = null, string? error = null) =>
        gateway.Status.Apply(RequestStatus.Kind, new StatusUpdate(requestId, department, context.Headers[Headers.MessageId], status, step, detail, at, result, error));
}
