using System.Text;

namespace IntegrationHub.Clinical.Tests;

/// <summary>HL7 v2 messages written from the specification for the intake's tests (CR after every segment).</summary>
public static class Hl7v2Messages
{
    public const string Application = "ADTSYS";
    public const string Facility = "CITYHOSP";

    public static string AdtA04(string controlId, string application = Application, string facility = Facility, string extraMsh = "",
        bool withPv1 = true, string family = "KHAN", string version = "2.5.1") =>
        Join(
            $"MSH|^~\\&|{application}|{facility}|HUB|GOV|20261202101500+0500||ADT^A04^ADT_A01|{controlId}|P|{version}{extraMsh}",
            "EVN|A04|20261202101500+0500",
            $"PID|1||MRN-1001^^^CITYHOSP^MR~35202-1234567-1^^^NADRA^NI||{family}^AYESHA^^^^^L||19870412|F",
            withPv1 ? "PV1|1|O|OPD^^^CITYHOSP||||1234^RAZA^ALI" : null);

    public static string OruR01(string controlId, string application = "LABSYS", string facility = Facility) =>
        Join(
            $"MSH|^~\\&|{application}|{facility}|HUB|GOV|20261202103000+0500||ORU^R01^ORU_R01|{controlId}|P|2.5.1",
            "PID|1||MRN-1001^^^CITYHOSP^MR||KHAN^AYESHA||19870412|F",
            "OBR|1|ORD-77|LAB-77|24331-1^Lipid panel^LN|||20261202090000+0500",
            "OBX|1|NM|2093-3^Cholesterol^LN||182|mg/dL|<200|N|||F");

    public static byte[] Bytes(string message) => Encoding.UTF8.GetBytes(message);

    static string Join(params string?[] segments) => string.Concat(segments.Where(s => s is not null).Select(s => s + "\r"));

    /// <summary>MSA-1 and MSA-2 of an ACK, and its ERR segments' 0357 codes.</summary>
    public static (string Code, string ControlId, IReadOnlyList<string> Errors) Read(byte[]? ack)
    {
        Assert.NotNull(ack);
        var segments = Encoding.UTF8.GetString(ack).Split('\r', StringSplitOptions.RemoveEmptyEntries);
        var msa = segments.Single(s => s.StartsWith("MSA|", StringComparison.Ordinal)).Split('|');
        var errors = segments.Where(s => s.StartsWith("ERR|", StringComparison.Ordinal))
            .Select(s => s.Split('|')[3].Split('^')[0]).ToList();
        return (msa[1], msa[2], errors);
    }
}
