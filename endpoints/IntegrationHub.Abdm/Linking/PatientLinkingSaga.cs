using System.Security.Cryptography;
using System.Text;
using IntegrationHub.Abdm.Links;
using IntegrationHub.Adapters.Abdm.Gateway;
using IntegrationHub.Adapters.Abdm.Registry;
using IntegrationHub.Adapters.Abdm.Wire;
using IntegrationHub.Contracts.Abdm.Events;
using Rebus.Bus;
using Rebus.Handlers;
using Rebus.Sagas;

namespace IntegrationHub.Abdm.Linking;

/// <summary>
/// A patient links their records at a HIP the hub serves (user-initiated linking, one ABDM transaction):
/// discover → the department's registry searched (<see cref="RegistryHandler"/>, with <see cref="AbdmOptions.DiscoveryTimeout"/>)
/// → on-discover with the patient's care contexts, or an ABDM error → link init (the care contexts asked for must be
/// among those found) → an OTP to the patient (<see cref="IOtpSender"/>) and on-init → link confirm (the OTP checked,
/// <see cref="AbdmOptions.MaxOtpAttempts"/> wrong ones allowed, <see cref="AbdmOptions.OtpLifetime"/> honoured) → the care
/// contexts stored as linked, <see cref="CareContextsLinked"/> published and on-confirm. Every failure answers the
/// gateway with an ABDM error; every end completes the saga. A call for no known transaction or link reference is
/// answered with an error without starting anything. The OTP is kept only as a salted hash.
/// </summary>
public sealed class PatientLinkingSaga(IBus bus, AbdmOptions options, ILinkedCareContexts links, IOtpSender otp, TimeProvider time,
    ILogger<PatientLinkingSaga> logger) : Saga<PatientLinkingData>,
    IAmInitiatedBy<DiscoverRequested>,
    IHandleMessages<PatientLookedUp>,
    IHandleMessages<DiscoveryTimedOut>,
    IAmInitiatedBy<LinkInitRequested>,
    IAmInitiatedBy<LinkConfirmRequested>,
    IHandleMessages<LinkWindowClosed>
{
    AbdmAnswers Answers => AbdmAnswers.For(options.ApiVersion, options.PatientAsArray);

    protected override void CorrelateMessages(ICorrelationConfig<PatientLinkingData> config)
    {
        config.Correlate<DiscoverRequested>(m => m.TransactionId, d => d.TransactionId);
        config.Correlate<PatientLookedUp>(m => m.TransactionId, d => d.TransactionId);
        config.Correlate<DiscoveryTimedOut>(m => m.TransactionId, d => d.TransactionId);
        config.Correlate<LinkInitRequested>(m => m.TransactionId, d => d.TransactionId);
        config.Correlate<LinkConfirmRequested>(m => m.LinkRefNumber, d => d.LinkRefNumber);
        config.Correlate<LinkWindowClosed>(m => m.TransactionId, d => d.TransactionId);
    }

    public async Task Handle(DiscoverRequested message)
    {
        if (!IsNew)
        {
            if (Data.Handled(message.RequestId) || message.HipId != Data.HipId) return;
            if (Data.State == LinkingState.Discovered)
            {
                // Asked again under a new request id (the gateway retried): the same patient is answered to that id.
                await Answer(AbdmOutbound.OnDiscover, Answers.OnDiscover(Data.TransactionId, message.RequestId,
                    new RegistryPatient(Data.PatientReference!, Data.PatientDisplay!, Data.CareContexts, [], null)));
                return;
            }
            logger.LogWarning("ABDM discovery {TransactionId} was asked again under a new request id while still searching; the first request is answered",
                message.TransactionId);
            return;
        }
        if (options.Hip(message.HipId) is not { } hip)
        {
            MarkAsComplete(); // checked at the door; a HIP removed from the settings since then
            return;
        }
        Data.TransactionId = message.TransactionId;
        Data.HipId = hip.Id;
        Data.Department = hip.Department;
        Data.DiscoverRequestId = message.RequestId;
        // Chosen now, told to the patient only in on-init: every correlation value is set from the start (storages index them).
        Data.LinkRefNumber = "lnk_" + Guid.NewGuid().ToString("N");
        Data.AbhaAddress = message.Patient.AbhaAddress;
        Data.Handled(message.RequestId);
        await bus.DeferLocal(options.DiscoveryTimeout, new DiscoveryTimedOut(message.TransactionId));
        await bus.SendLocal(new FindPatient(message.TransactionId, hip.Id, message.Patient));
    }

    public async Task Handle(PatientLookedUp message)
    {
        if (Data.State != LinkingState.Discovering) return; // the timeout answered first
        if (message.Patient is not { } patient)
        {
            var error = message.RegistryFailed ? AbdmError.RegistryUnavailable
                : message.Ambiguous ? AbdmError.MultiplePatientsFound : AbdmError.NoPatientFound;
            logger.LogInformation("ABDM discovery {TransactionId} at HIP {HipId}: {Outcome}", Data.TransactionId, Data.HipId, error.V3Code);
            await Answer(AbdmOutbound.OnDiscover, Answers.OnDiscoverFailed(Data.TransactionId, Data.DiscoverRequestId, error));
            MarkAsComplete();
            return;
        }

        Data.State = LinkingState.Discovered;
        Data.PatientReference = patient.ReferenceNumber;
        Data.PatientDisplay = patient.Display;
        Data.CareContexts = [.. patient.CareContexts];
        Data.Mobile = patient.Mobile;
        await Answer(AbdmOutbound.OnDiscover, Answers.OnDiscover(Data.TransactionId, Data.DiscoverRequestId, patient));
        await bus.DeferLocal(options.LinkWindow, new LinkWindowClosed(Data.TransactionId));
    }

    public async Task Handle(DiscoveryTimedOut message)
    {
        if (Data.State != LinkingState.Discovering) return;
        logger.LogWarning("ABDM discovery {TransactionId}: HIP {HipId}'s registry did not answer within {Timeout}", Data.TransactionId, Data.HipId,
            options.DiscoveryTimeout);
        await Answer(AbdmOutbound.OnDiscover, Answers.OnDiscoverFailed(Data.TransactionId, Data.DiscoverRequestId, AbdmError.RegistryUnavailable));
        MarkAsComplete();
    }

    public async Task Handle(LinkInitRequested message)
    {
        if (IsNew || message.HipId != Data.HipId)
        {
            await Answer(AbdmOutbound.OnInitLink, Answers.OnInitLinkFailed(message.TransactionId, message.RequestId, AbdmError.NoDiscovery));
            if (IsNew) MarkAsComplete();
            return;
        }
        if (Data.Handled(message.RequestId)) return;
        if (Data.State == LinkingState.Discovering)
        {
            await Answer(AbdmOutbound.OnInitLink, Answers.OnInitLinkFailed(message.TransactionId, message.RequestId, AbdmError.NoDiscovery));
            return;
        }
        // The link is for the ABHA address that was discovered, never one named later.
        if (!string.Equals(message.AbhaAddress, Data.AbhaAddress, StringComparison.OrdinalIgnoreCase))
        {
            await Answer(AbdmOutbound.OnInitLink, Answers.OnInitLinkFailed(message.TransactionId, message.RequestId, AbdmError.NoDiscovery));
            return;
        }
        if (Data.State == LinkingState.OtpSent)
        {
            if (!message.CareContexts.Distinct().Order(StringComparer.Ordinal).SequenceEqual(Data.RequestedCareContexts.Order(StringComparer.Ordinal))
                || message.PatientReference != Data.PatientReference)
            {
                await Answer(AbdmOutbound.OnInitLink, Answers.OnInitLinkFailed(message.TransactionId, message.RequestId, AbdmError.CareContextNotFound));
                return;
            }
            if (time.GetUtcNow() < Data.OtpExpiresAt)
            {
                // The same link asked again while its OTP is valid: that OTP stays the one to confirm.
                await Answer(AbdmOutbound.OnInitLink, Answers.OnInitLink(Data.TransactionId, message.RequestId, Data.LinkRefNumber, Hint(Data.Mobile), Data.OtpExpiresAt));
                return;
            }
            // Asked again after the OTP expired (a resend): a new OTP below, with a fresh count of attempts.
            Data.WrongOtps = 0;
        }

        var offered = Data.CareContexts.Select(c => c.ReferenceNumber).ToHashSet(StringComparer.Ordinal);
        if (message.PatientReference != Data.PatientReference || message.CareContexts.Count == 0 || !message.CareContexts.All(offered.Contains))
        {
            await Answer(AbdmOutbound.OnInitLink, Answers.OnInitLinkFailed(message.TransactionId, message.RequestId, AbdmError.CareContextNotFound));
            return;
        }
        if (Data.Mobile is not { Length: > 0 } mobile)
        {
            await Answer(AbdmOutbound.OnInitLink, Answers.OnInitLinkFailed(message.TransactionId, message.RequestId, AbdmError.NoContactForOtp));
            MarkAsComplete();
            return;
        }

        var code = Otp.New(options.OtpLength);
        Data.State = LinkingState.OtpSent;
        Data.RequestedCareContexts = [.. message.CareContexts.Distinct()];
        Data.OtpSalt = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        Data.OtpHash = Otp.Hash(code, Data.OtpSalt);
        Data.OtpExpiresAt = time.GetUtcNow() + options.OtpLifetime;
        await otp.Send(bus, new OtpDelivery(Data.Department, Data.HipId, Data.LinkRefNumber, Data.PatientReference!, mobile, code, Data.OtpExpiresAt));
        await Answer(AbdmOutbound.OnInitLink, Answers.OnInitLink(Data.TransactionId, message.RequestId, Data.LinkRefNumber, Hint(mobile), Data.OtpExpiresAt));
    }

    public async Task Handle(LinkConfirmRequested message)
    {
        if (IsNew || message.HipId != Data.HipId)
        {
            await Answer(AbdmOutbound.OnConfirmLink, Answers.OnConfirmLinkFailed(message.RequestId, AbdmError.NoLinkRequestFound));
            if (IsNew) MarkAsComplete();
            return;
        }
        if (Data.Handled(message.RequestId)) return;
        if (time.GetUtcNow() > Data.OtpExpiresAt)
        {
            await Answer(AbdmOutbound.OnConfirmLink, Answers.OnConfirmLinkFailed(message.RequestId, AbdmError.OtpExpired));
            MarkAsComplete();
            return;
        }
        if (!Otp.Matches(message.Token, Data.OtpSalt!, Data.OtpHash!))
        {
            Data.WrongOtps++;
            var last = Data.WrongOtps >= options.MaxOtpAttempts;
            logger.LogInformation("ABDM link {LinkRefNumber}: wrong OTP ({Wrong} of {Allowed})", Data.LinkRefNumber, Data.WrongOtps, options.MaxOtpAttempts);
            await Answer(AbdmOutbound.OnConfirmLink, Answers.OnConfirmLinkFailed(message.RequestId, last ? AbdmError.OtpAttemptsExceeded : AbdmError.OtpInvalid));
            if (last) MarkAsComplete();
            return;
        }

        var now = time.GetUtcNow();
        var linked = Data.CareContexts.Where(c => Data.RequestedCareContexts.Contains(c.ReferenceNumber)).ToList();
        await links.Link(linked.Select(c => new LinkedCareContextRow(Data.Department, Data.HipId, Data.PatientReference!, c.ReferenceNumber,
            Data.AbhaAddress, c.Display, c.HiType, Data.LinkRefNumber, LinkInitiators.Patient, now)).ToList());
        await bus.Publish(new CareContextsLinked(Data.LinkRefNumber, Data.Department, Data.HipId, Data.PatientReference!, Data.AbhaAddress,
            [.. linked.Select(c => c.ReferenceNumber)], LinkInitiators.Patient, now));
        await Answer(AbdmOutbound.OnConfirmLink, Answers.OnConfirmLink(message.RequestId, Data.PatientReference!, Data.PatientDisplay!, linked));
        logger.LogInformation("ABDM link {LinkRefNumber}: {Count} care contexts of department {Department} linked", Data.LinkRefNumber, linked.Count, Data.Department);
        MarkAsComplete();
    }

    public Task Handle(LinkWindowClosed message)
    {
        // Linking not begun in time, or its OTP never confirmed: nothing waits for an answer, so the flow just ends.
        if (Data.State == LinkingState.Discovered || Data.State == LinkingState.OtpSent && time.GetUtcNow() > Data.OtpExpiresAt)
            MarkAsComplete();
        else if (Data.State == LinkingState.OtpSent)
            return bus.DeferLocal(Data.OtpExpiresAt - time.GetUtcNow() + TimeSpan.FromSeconds(1), new LinkWindowClosed(Data.TransactionId));
        return Task.CompletedTask;
    }

    Task Answer(AbdmOutbound call, System.Text.Json.Nodes.JsonObject body) =>
        bus.SendLocal(new CallGateway(call, Guid.NewGuid().ToString(), body.ToJsonString()));

    /// <summary>Where the OTP went, as ABDM shows it to the patient: the last four digits only.</summary>
    static string Hint(string? mobile) => mobile is { Length: >= 4 } m ? new string('*', 6) + m[^4..] : "******";
}

public sealed class PatientLinkingData : SagaData
{
    public string TransactionId { get; set; } = "";
    public string LinkRefNumber { get; set; } = "";
    public string HipId { get; set; } = "";
    public string Department { get; set; } = "";
    public string DiscoverRequestId { get; set; } = "";
    public string State { get; set; } = LinkingState.Discovering;
    public string AbhaAddress { get; set; } = "";
    public string? PatientReference { get; set; }
    public string? PatientDisplay { get; set; }
    public List<CareContext> CareContexts { get; set; } = [];
    /// <summary>Where the OTP goes; kept only while the flow runs (the saga's row is deleted when it ends).</summary>
    public string? Mobile { get; set; }
    public List<string> RequestedCareContexts { get; set; } = [];
    public string? OtpSalt { get; set; }
    public string? OtpHash { get; set; }
    public DateTimeOffset OtpExpiresAt { get; set; }
    public int WrongOtps { get; set; }
    /// <summary>The gateway's request ids already answered (a repeated call is answered once; in memory there is no inbox).</summary>
    public List<string> HandledRequests { get; set; } = [];

    /// <summary>Whether <paramref name="requestId"/> was handled before; remembers it.</summary>
    public bool Handled(string requestId)
    {
        if (HandledRequests.Contains(requestId)) return true;
        HandledRequests.Add(requestId);
        return false;
    }
}

public static class LinkingState
{
    public const string Discovering = "discovering";
    public const string Discovered = "discovered";
    public const string OtpSent = "otp-sent";
}

public static class LinkInitiators
{
    public const string Patient = "patient";
    public const string Hip = "hip";
}

/// <summary>One-time passwords: drawn uniformly, kept only as a salted HMAC, compared in constant time.</summary>
internal static class Otp
{
    public static string New(int length) =>
        RandomNumberGenerator.GetInt32(0, (int)Math.Pow(10, length)).ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(length, '0');

    public static string Hash(string otp, string salt) =>
        Convert.ToBase64String(HMACSHA256.HashData(Convert.FromBase64String(salt), Encoding.UTF8.GetBytes(otp)));

    public static bool Matches(string candidate, string salt, string hash) =>
        CryptographicOperations.FixedTimeEquals(Convert.FromBase64String(Hash(candidate.Trim(), salt)), Convert.FromBase64String(hash));
}
