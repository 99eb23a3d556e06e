using System.Text;

namespace IntegrationHub.Adapters.Hl7v2.Tests;

public sealed class AckTests
{
    static readonly Hl7AckOptions Options = new("ACK-1", new DateTimeOffset(2026, 12, 2, 18, 0, 0, TimeSpan.Zero));

    static string Ack(string message, Hl7AckOptions? options = null, IReadOnlyList<Hl7Problem>? appErrors = null)
    {
        var r = Hl7Ack.Build(Hl7Parser.Parse(Encoding.UTF8.GetBytes(message)), options ?? Options, appErrors);
        return r.Outcome == Hl7AckOutcome.Send ? Hl7Writer.WriteString(r.Ack!).Replace('\r', '\n') : r.Outcome + "\n";
    }

    const string A04 = "MSH|^~\\&|REG|CLINIC|HUB|GOV|20260102090000||ADT^A04^ADT_A01|A04-0001|P|2.5\rPID|1||MRN-77\r";

    [Fact]
    public void Missing_control_id_is_rejected_AR_with_ERR_101_naming_MSH_10()
    {
        var ack = Ack("MSH|^~\\&|REG|CLINIC|HUB|GOV|20260102090000||ADT^A04^ADT_A01||P|2.5\r");
        Assert.Equal("MSH|^~\\&|HUB|GOV|REG|CLINIC|20261202180000+0000||ACK^A04^ACK|ACK-1|P|2.5\nMSA|AR\n" +
                     "ERR||MSH^1^10^1|101^MSH-10 (message control id) is required^HL70357|E\n", ack);
    }

    [Fact]
    public void Unsupported_version_is_rejected_with_ERR_203()
    {
        var ack = Ack("MSH|^~\\&|REG|CLINIC|HUB|GOV|20260102090000||ADT^A04^ADT_A01|X9|P|2.9\r");
        Assert.Contains("MSA|AR|X9\n", ack);
        Assert.Contains("ERR||MSH^1^12^1|203^", ack);
    }

    [Fact]
    public void Unsupported_message_type_gives_200_and_unsupported_event_gives_201()
    {
        var supported = Options with { SupportedMessageTypes = new HashSet<string> { "ADT^A01", "ORU^R01" } };
        Assert.Contains("|201^event 'A04' is not supported for ADT^HL70357|", Ack(A04, supported));
        Assert.Contains("|200^", Ack(A04.Replace("ADT^A04", "MFN^M02"), supported));
    }

    [Fact]
    public void Application_errors_give_AE_with_one_ERR_each_and_MSA_2_echoing_MSH_10()
    {
        var ack = Ack(A04, appErrors:
        [
            new Hl7Problem(Hl7ErrorCode.DataTypeError, "PID-7 is not a date", 1, "PID", 1, 7),
            new Hl7Problem(Hl7ErrorCode.TableValueNotFound, "PID-8 'Q' not in table 0001", 1, "PID", 1, 8),
            new Hl7Problem(Hl7ErrorCode.ApplicationInternalError, "store unavailable"),
        ]);
        Assert.Equal("MSH|^~\\&|HUB|GOV|REG|CLINIC|20261202180000+0000||ACK^A04^ACK|ACK-1|P|2.5\nMSA|AE|A04-0001\n" +
                     "ERR||PID^1^7^1|102^PID-7 is not a date^HL70357|E\nERR||PID^1^8^1|103^PID-8 'Q' not in table 0001^HL70357|E\n" +
                     "ERR|||207^store unavailable^HL70357|E\n", ack);
    }

    [Fact]
    public void Before_v2_5_the_error_goes_in_ERR_1()
    {
        var ack = Ack(A04.Replace("|2.5\r", "|2.4\r"), appErrors: [new Hl7Problem(Hl7ErrorCode.RequiredFieldMissing, "PID-3 required", 1, "PID", 1, 3)]);
        Assert.Contains("ERR|PID^1^3^1^101&PID-3 required&HL70357\n", ack);
    }

    [Fact]
    public void Error_text_is_escaped_under_the_message_delimiters()
    {
        var ack = Ack(A04, appErrors: [new Hl7Problem(Hl7ErrorCode.DataTypeError, "a|b^c&d~e\\f")]);
        Assert.Contains("102^a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f^HL70357", ack);
    }

    [Theory]
    [InlineData("AL", null, "CA")]
    [InlineData("NE", null, "NotRequested")]
    [InlineData("ER", null, "NotRequested")]
    [InlineData("SU", null, "CA")]
    [InlineData("ER", "bad", "CE")]
    [InlineData("SU", "bad", "NotRequested")]
    public void Enhanced_mode_sends_commit_acks_as_MSH_15_asks(string msh15, string? error, string expected)
    {
        var msg = A04.Replace("|P|2.5\r", $"|P|2.5|||{msh15}|AL\r");
        var ack = Ack(msg, appErrors: error is null ? null : [new Hl7Problem(Hl7ErrorCode.DataTypeError, error)]);
        Assert.Contains(expected == "NotRequested" ? "NotRequested" : $"MSA|{expected}|A04-0001", ack);
    }

    [Fact]
    public void Enhanced_mode_parse_failure_is_a_CR()
    {
        Assert.Contains("MSA|CR|", Ack("MSH|^~\\&|REG|CLINIC|HUB|GOV|20260102090000||ADT^A04^ADT_A01|C1|P|2.5|||AL|AL\r12X|bad\r"));
    }

    [Fact]
    public void A_message_whose_body_cannot_be_parsed_gets_AR_when_its_MSH_is_readable()
    {
        var ack = Ack(A04 + "this is not a segment\r\u0001\u0002\r");
        Assert.Contains("MSA|AR|A04-0001\n", ack);
        Assert.Contains("|100^", ack);
    }

    [Theory]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("MSH|")]
    [InlineData("MSH|^~|X")]
    [InlineData("MSH|^^\\&|A")]
    [InlineData("PID|1||X\r")]
    public void Without_a_readable_MSH_the_answer_is_a_clean_close(string input)
    {
        Assert.Equal("Close\n", Ack(input));
    }

    [Fact]
    public void The_ack_keeps_the_declared_character_set_and_delimiters()
    {
        var ack = Ack("MSH*$@!%*REG*CLINIC*HUB*GOV*20260102090000**ADT$A04$ADT_A01*CUST-1*P*2.5******UNICODE UTF-8\r");
        Assert.Equal("MSH*$@!%*HUB*GOV*REG*CLINIC*20261202180000+0000**ACK$A04$ACK*ACK-1*P*2.5******UNICODE UTF-8\nMSA*AA*CUST-1\n", ack);
    }
}
