using System.Text.Json.Nodes;
using IntegrationHub.Adapters.Abdm.Gateway;

namespace IntegrationHub.Adapters.Abdm.Wire;

/// <summary>
/// The errors the hub answers ABDM with, in both generations: v3 string codes (<c>ABDM-1010</c> …, reported by
/// Rashu13/abdm-wrapper-net GatewayConstants.cs) and v0.5 numbers (ProjectEKA/hip-service ErrorCode, the reference HIP).
/// Neither table is confirmed first-party (docs/abdm.md); the messages are the hub's own and never carry personal data.
/// </summary>
public sealed record AbdmError(string V3Code, int V05Code, string Message)
{
    public static AbdmError NoPatientFound { get; } = new("ABDM-1010", 1000, "No patient matches the details given.");
    public static AbdmError MultiplePatientsFound { get; } = new("ABDM-1010", 1001, "More than one patient matches the details given; none was chosen.");
    public static AbdmError CareContextNotFound { get; } = new("ABDM-1002", 1002, "The care contexts asked for are not the ones this HIP found for the patient.");
    public static AbdmError OtpInvalid { get; } = new("ABDM-1035", 1003, "The OTP is not the one sent.");
    public static AbdmError NoLinkRequestFound { get; } = new("ABDM-1004", 1004, "There is no link request with this reference (unknown, finished or expired).");
    public static AbdmError OtpExpired { get; } = new("ABDM-1005", 1005, "The OTP has expired; start linking again.");
    public static AbdmError OtpAttemptsExceeded { get; } = new("ABDM-1036", 1006, "Too many wrong OTPs; start linking again.");
    public static AbdmError NoDiscovery { get; } = new("ABDM-1004", 1004, "There is no discovery with this transaction id (unknown, finished or expired).");
    public static AbdmError NoContactForOtp { get; } = new("ABDM-1001", 1007, "The HIP has no way to send this patient an OTP.");
    public static AbdmError RegistryUnavailable { get; } = new("ABDM-1001", 1008, "The HIP's patient registry could not be searched in time; try again later.");

    public JsonObject ToJson(AbdmApiVersion version) => version == AbdmApiVersion.V05
        ? new JsonObject { ["code"] = V05Code, ["message"] = Message }
        : new JsonObject { ["code"] = V3Code, ["message"] = Message };
}
