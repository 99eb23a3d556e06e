using IntegrationHub.Contracts.Abdm.Events;
using Rebus.Bus;

namespace IntegrationHub.Abdm.Linking;

/// <summary>An OTP for one link, to go to the patient's mobile. Personal data: never logged.</summary>
public sealed record OtpDelivery(string Department, string HipId, string LinkRefNumber, string PatientReference, string Mobile, string Otp,
    DateTimeOffset ExpiresAt);

/// <summary>
/// How a link OTP reaches the patient. Called inside the flow's transaction with its bus, so a sender that publishes
/// sends only if the step commits. Chosen by <c>Hub:Abdm:Linking:OtpSender</c>.
/// </summary>
public interface IOtpSender
{
    Task Send(IBus bus, OtpDelivery delivery);
}

/// <summary>
/// The default: the department sends the SMS itself. The hub publishes <see cref="LinkOtpRequested"/>, delivered to the
/// department as the signed webhook <c>abdm.link_otp</c> (its own number for the patient is the one to use; the hub does
/// not pass the mobile on). Until the Notifications endpoint sends SMS, this keeps the hub from needing an SMS provider.
/// </summary>
internal sealed class WebhookOtpSender(TimeProvider time) : IOtpSender
{
    public Task Send(IBus bus, OtpDelivery delivery) =>
        bus.Publish(new LinkOtpRequested(delivery.LinkRefNumber, delivery.Department, delivery.PatientReference, delivery.Otp, delivery.ExpiresAt,
            time.GetUtcNow()));
}
