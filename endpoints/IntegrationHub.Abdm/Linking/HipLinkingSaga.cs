using IntegrationHub.Abdm.Links;
using IntegrationHub.Adapters.Abdm.Gateway;
using IntegrationHub.Adapters.Abdm.Registry;
using IntegrationHub.Adapters.Abdm.Wire;
using IntegrationHub.Contracts.Abdm.Commands;
using IntegrationHub.Contracts.Abdm.Events;
using IntegrationHub.Hosting;
using IntegrationHub.Hosting.Departments;
using Rebus.Bus;
using Rebus.Handlers;
using Rebus.Messages;
using Rebus.Pipeline;
using Rebus.Sagas;

namespace IntegrationHub.Abdm.Linking;

/// <summary>
/// A department links care contexts of its patient (HIP-initiated linking, v3): <see cref="LinkCareContexts"/> → the
/// gateway timeout requested first → generate-token (X-HIP-ID) → on-generate-token with the link token → link care
/// contexts (X-LINK-TOKEN) → on_carecontext → the care contexts stored as linked, <see cref="CareContextsLinked"/> and
/// status <c>linked</c>. A refusal at either step, or no answer within <see cref="AbdmOptions.HipLinkTimeout"/>, ends it
/// <c>failed</c> with <see cref="CareContextsLinkFailed"/>. An answer for no running link is kept as unmatched.
/// </summary>
public sealed class HipLinkingSaga(IBus bus, AbdmOptions options, ILinkedCareContexts links, IUnmatchedCalls unmatched,
    EndpointRuntime<AbdmEndpoint> abdm, IMessageContext context, TimeProvider time, ILogger<HipLinkingSaga> logger) : Saga<HipLinkingData>,
    IAmInitiatedBy<LinkCareContexts>,
    IAmInitiatedBy<LinkTokenAnswered>,
    IAmInitiatedBy<CareContextsLinkAnswered>,
    IHandleMessages<GatewayCallRefused>,
    IHandleMessages<HipLinkTimedOut>
{
    protected override void CorrelateMessages(ICorrelationConfig<HipLinkingData> config)
    {
        config.Correlate<LinkCareContexts>(m => AbdmLink.Key(m.Department, m.LinkId), d => d.LinkKey);
        config.Correlate<LinkTokenAnswered>(m => m.AnsweredRequestId, d => d.TokenRequestId);
        config.Correlate<CareContextsLinkAnswered>(m => m.AnsweredRequestId, d => d.LinkRequestId);
        config.Correlate<GatewayCallRefused>(m => m.FlowId, d => d.LinkKey);
        config.Correlate<HipLinkTimedOut>(m => m.LinkId, d => d.LinkKey);
    }

    public async Task Handle(LinkCareContexts message)
    {
        if (!IsNew) return; // a redelivered start changes nothing
        Data.LinkKey = AbdmLink.Key(message.Department, message.LinkId);
        Data.LinkId = message.LinkId;
        Data.Department = DepartmentRegistry.Normalize(message.Department);
        Data.HipId = message.HipId;
        Data.AbhaAddress = message.AbhaAddress;
        Data.AbhaNumber = message.AbhaNumber;
        Data.PatientReference = message.PatientReference;
        Data.PatientName = message.PatientName;
        Data.CareContexts = [.. message.CareContexts];
        // Both request ids chosen now: every correlation value is set from the start (storages index them).
        Data.TokenRequestId = Guid.NewGuid().ToString();
        Data.LinkRequestId = Guid.NewGuid().ToString();
        await bus.DeferLocal(options.HipLinkTimeout, new HipLinkTimedOut(Data.LinkKey));
        await Gateway(AbdmOutbound.GenerateLinkToken, Data.TokenRequestId,
            AbdmAnswers.GenerateLinkToken(message.AbhaAddress, message.PatientName, message.Gender, message.YearOfBirth, message.AbhaNumber));
        await Status(AbdmLink.TokenRequested, "link token requested", "generate-token sent to the gateway");
    }

    public async Task Handle(LinkTokenAnswered message)
    {
        if (IsNew)
        {
            await KeepUnmatched(message.HipId, nameof(AbdmInbound.OnGenerateLinkToken), message.RequestId, message.AnsweredRequestId, message.ErrorCode);
            MarkAsComplete();
            return;
        }
        if (Data.TokenReceived) return; // answered before
        if (message.ErrorCode is not null || message.LinkToken is not { Length: > 0 })
        {
            await Fail($"the gateway refused the link token: {message.ErrorCode ?? "no token"}");
            return;
        }
        Data.TokenReceived = true;
        var careContexts = Data.CareContexts.Select(c => new CareContext(c.ReferenceNumber, c.Display, c.HiType)).ToList();
        await Gateway(AbdmOutbound.LinkCareContexts, Data.LinkRequestId,
            AbdmAnswers.LinkCareContexts(Data.AbhaAddress, Data.AbhaNumber, Data.PatientReference, Data.PatientName, careContexts), message.LinkToken);
        await Status(AbdmLink.Linking, "linking", $"{careContexts.Count} care context(s) sent to the gateway");
    }

    public async Task Handle(CareContextsLinkAnswered message)
    {
        if (IsNew)
        {
            await KeepUnmatched(message.HipId, nameof(AbdmInbound.OnLinkCareContexts), message.RequestId, message.AnsweredRequestId, message.ErrorCode);
            MarkAsComplete();
            return;
        }
        if (message.ErrorCode is not null)
        {
            await Fail($"the gateway refused the care contexts: {message.ErrorCode}");
            return;
        }
        var now = time.GetUtcNow();
        await links.Link(Data.CareContexts.Select(c => new LinkedCareContextRow(Data.Department, Data.HipId, Data.PatientReference, c.ReferenceNumber,
            Data.AbhaAddress, c.Display, c.HiType, Data.LinkId, LinkInitiators.Hip, now)).ToList());
        await bus.Publish(new CareContextsLinked(Data.LinkId, Data.Department, Data.HipId, Data.PatientReference, Data.AbhaAddress,
            [.. Data.CareContexts.Select(c => c.ReferenceNumber)], LinkInitiators.Hip, now));
        await Status(AbdmLink.Linked, "linked", $"{Data.CareContexts.Count} care context(s) linked");
        logger.LogInformation("ABDM link {LinkId} of department {Department}: {Count} care contexts linked", Data.LinkId, Data.Department, Data.CareContexts.Count);
        MarkAsComplete();
    }

    public Task Handle(GatewayCallRefused message) =>
        Fail($"the gateway refused {message.Call}: {message.Status} {message.Code}".TrimEnd());

    public Task Handle(HipLinkTimedOut message) =>
        Fail(!Data.TokenReceived
            ? $"the gateway sent no link token within {options.HipLinkTimeout}"
            : $"the gateway did not confirm the link within {options.HipLinkTimeout}");

    async Task Fail(string reason)
    {
        await bus.Publish(new CareContextsLinkFailed(Data.LinkId, Data.Department, Data.HipId, Data.PatientReference, reason, time.GetUtcNow()));
        await Status(AbdmLink.Failed, "failed", reason, error: reason);
        logger.LogWarning("ABDM link {LinkId} of department {Department} failed: {Reason}", Data.LinkId, Data.Department, reason);
        MarkAsComplete();
    }

    Task Gateway(AbdmOutbound call, string requestId, System.Text.Json.Nodes.JsonObject body, string? linkToken = null) =>
        bus.SendLocal(new CallGateway(call, requestId, body.ToJsonString(), Data.HipId, linkToken, ReplyTo: Data.LinkKey));

    Task KeepUnmatched(string hipId, string call, string requestId, string answered, string? code)
    {
        logger.LogWarning("ABDM {Call} {RequestId} answers {Answered}, which no running link waits for; kept as unmatched", call, requestId, answered);
        return unmatched.Keep(new UnmatchedCall(hipId, call, requestId, answered, code, "no running link waits for this request id", time.GetUtcNow()));
    }

    Task Status(string status, string step, string detail, string? error = null) =>
        abdm.Status.Apply(AbdmLink.Kind, new StatusUpdate(Data.LinkId, Data.Department, context.Headers[Headers.MessageId], status, step, detail,
            time.GetUtcNow(), Error: error));
}

public sealed class HipLinkingData : SagaData
{
    public string LinkKey { get; set; } = "";
    public string LinkId { get; set; } = "";
    public string Department { get; set; } = "";
    public string HipId { get; set; } = "";
    public string TokenRequestId { get; set; } = "";
    public string LinkRequestId { get; set; } = "";
    public bool TokenReceived { get; set; }
    public string AbhaAddress { get; set; } = "";
    public string? AbhaNumber { get; set; }
    public string PatientReference { get; set; } = "";
    public string PatientName { get; set; } = "";
    public List<LinkedCareContext> CareContexts { get; set; } = [];
}

/// <summary>HIP-initiated links as status resources.</summary>
public static class AbdmLink
{
    public const string Route = "/api/v1/abdm/links";
    public const string Accepted = "accepted";
    public const string TokenRequested = "token-requested";
    public const string Linking = "linking";
    public const string Linked = "linked";
    public const string Failed = "failed";

    public static StatusKind Kind { get; } = new("abdm-link", [Accepted, TokenRequested, Linking], [Linked, Failed], Route, IdAlias: "linkId");

    public static string Key(string department, string linkId) => $"{DepartmentRegistry.Normalize(department)}/{linkId}";
}
