using System.Text;

namespace IntegrationHub.Adapters.Hl7v2.Tests;

public sealed class ParserTests
{
    const string Msh = "MSH|^~\\&|A|B|C|D|20260101||ADT^A04^ADT_A01|1|P|2.5\r";

    static Hl7Message Parse(string s)
    {
        var r = Hl7Parser.Parse(Encoding.UTF8.GetBytes(s));
        Assert.True(r.Succeeded, string.Join("; ", r.Problems));
        return r.Message!;
    }

    [Theory]
    [InlineData("\\F\\", "|")]
    [InlineData("\\S\\", "^")]
    [InlineData("\\T\\", "&")]
    [InlineData("\\R\\", "~")]
    [InlineData("\\E\\", "\\")]
    [InlineData("\\X41\\", "A")]
    [InlineData("\\X414243\\", "ABC")]
    [InlineData("\\XC3A9\\", "é")]
    [InlineData("\\X0D0A\\", "\r\n")]
    [InlineData("a\\.br\\b", "a\\.br\\b")]
    [InlineData("\\H\\bold\\N\\", "\\H\\bold\\N\\")]
    [InlineData("\\.sp2\\ \\.in+4\\ \\.ce\\ \\.fi\\ \\.nf\\ \\.ti-2\\ \\.sk3\\", "\\.sp2\\ \\.in+4\\ \\.ce\\ \\.fi\\ \\.nf\\ \\.ti-2\\ \\.sk3\\")]
    [InlineData("\\C2842\\x\\M2442\\", "\\C2842\\x\\M2442\\")]
    [InlineData("\\Zlocal\\", "\\Zlocal\\")]
    [InlineData("\\XZZ\\", "\\XZZ\\")]
    [InlineData("open \\F", "open \\F")]
    [InlineData("\\E\\F\\E\\", "\\F\\")]
    [InlineData("plain", "plain")]
    public void Escape_sequences_decode_and_formatting_escapes_are_kept(string raw, string value)
    {
        Assert.Equal(value, Parse(Msh + $"NTE|1||{raw}\r").First("NTE")!.Field(3).Value);
    }

    [Theory]
    [InlineData("|^~\\&")]
    [InlineData("*$@!%")]
    [InlineData("#:;/=")]
    [InlineData("|^~\\&#")]
    [InlineData("!@$%?+")]
    public void Encoding_characters_come_from_MSH_1_and_MSH_2(string declared)
    {
        char f = declared[0], c = declared[1], r = declared[2], e = declared[3], s = declared[4];
        var text = $"MSH{declared}{f}A{f}B{f}{f}{f}{f}{f}ADT{c}A04{f}1{f}P{f}2.7\r" +
                   $"PID{f}1{f}{f}X{c}{c}{c}AUTH{r}Y{c}{c}{c}AUTH{s}SUB{f}{f}Doe{e}F{e}{c}Jo{e}S{e}hn\r";
        var m = Parse(text);
        Assert.Equal(declared[1..], m.Delimiters.EncodingCharacters);
        var pid = m.First("PID")!;
        Assert.Equal(2, pid.Field(3).Count);
        Assert.Equal("AUTH", pid[3, 4]);
        Assert.Equal("SUB", pid.Field(3).Repetition(2).Child(4).Child(2).Value);
        Assert.Equal($"Doe{f}", pid[5, 1]);
        Assert.Equal($"Jo{c}hn", pid[5, 2]);
        Assert.Equal("ADT", m.Msh.MessageCode);
    }

    [Theory]
    [InlineData("\r")]
    [InlineData("\n")]
    [InlineData("\r\n")]
    public void Segments_may_end_with_CR_LF_or_CRLF_and_are_written_with_CR(string eol)
    {
        var text = Msh.TrimEnd('\r') + eol + "PID|1" + eol + "ZXY|custom" + eol + "QQQ|unknown" + eol;
        var m = Parse(text);
        Assert.Equal(["MSH", "PID", "ZXY", "QQQ"], m.Segments.Select(s => s.Name));
        Assert.Equal(Msh + "PID|1\rZXY|custom\rQQQ|unknown\r", Hl7Writer.WriteString(m));
    }

    [Fact]
    public void A_UTF_8_BOM_is_tolerated_and_not_written()
    {
        var bytes = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.UTF8.GetBytes(Msh + "PID|1||X||خان\r")).ToArray();
        var r = Hl7Parser.Parse(bytes);
        Assert.True(r.Succeeded);
        Assert.Equal("خان", r.Message!.First("PID")![5]);
        Assert.Equal(bytes[3..], Hl7Writer.WriteBytes(r.Message));
    }

    [Fact]
    public void Latin_1_declared_in_MSH_18_decodes_bytes_above_127_as_Latin_1()
    {
        var bytes = Encoding.Latin1.GetBytes("MSH|^~\\&|A|B|C|D|20260101||ADT^A08|1|P|2.5||||||8859/1\rPID|1||X||Müller\r");
        var m = Hl7Parser.Parse(bytes).Message!;
        Assert.Equal("Müller", m.First("PID")![5]);
        Assert.Equal(bytes, Hl7Writer.WriteBytes(m));
    }

    [Fact]
    public void Invalid_UTF_8_under_a_UTF_8_declaration_is_a_problem_not_an_exception()
    {
        var bytes = Encoding.Latin1.GetBytes("MSH|^~\\&|A|B|C|D|20260101||ADT^A08|1|P|2.5||||||UNICODE UTF-8\rPID|1||X||Müller\r");
        var r = Hl7Parser.Parse(bytes);
        Assert.False(r.Succeeded);
        Assert.Contains(r.Problems, p => p is { Code: Hl7ErrorCode.DataTypeError, Field: 18 });
    }

    [Fact]
    public void An_unknown_character_set_is_a_table_value_problem_on_MSH_18()
    {
        var r = Hl7Parser.Parse("MSH|^~\\&|A|B|C|D|20260101||ADT^A08|1|P|2.5||||||EBCDIC\r");
        Assert.Contains(r.Problems, p => p is { Code: Hl7ErrorCode.TableValueNotFound, Field: 18 });
    }

    [Fact]
    public void Limits_stop_with_named_problems()
    {
        var limits = new Hl7Limits(MaxBytes: 10_000, MaxSegments: 3, MaxFieldsPerSegment: 20, MaxFieldRepetitions: 5);
        Assert.Contains("limit is 10000", Hl7Parser.Parse(new string('x', 10_001), limits).Problems[0].Message);
        Assert.Contains(Hl7Parser.Parse(Msh + "PID|1\rPID|2\rPID|3\r", limits).Problems, p => p.Message.Contains("more than 3 segments"));
        Assert.Contains(Hl7Parser.Parse(Msh + "PID" + new string('|', 30) + "\r", limits).Problems, p => p.Message.Contains("more than 20 fields"));
        Assert.Contains(Hl7Parser.Parse(Msh + "PID|1||" + string.Join('~', Enumerable.Repeat("X", 9)) + "\r", limits).Problems,
            p => p is { Segment: "PID", Field: 3 } && p.Message.Contains("more than 5 repetitions"));
    }

    [Fact]
    public void Fields_are_slices_of_the_one_decoded_text()
    {
        var m = Parse(Msh + "PID|1||X||Doe^John\r");
        var raw = m.First("PID")!.Field(5).Raw;
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetString(raw, out var s, out var start, out _));
        Assert.Same(m.Text, s);
        Assert.Equal("Doe^John", m.Text.Substring(start, 8));
    }

    [Fact]
    public void Typed_views_read_the_fields_the_maps_need()
    {
        var m = Hl7Parser.Parse(Golden.Input("oru-r01")).Message!;
        Assert.Equal("Ali", m.Pid.Single().FamilyName);
        Assert.Equal("24331-1", m.Obr.Single().UniversalServiceId.Value);
        Assert.Equal(["196", "247"], m.Obx.Where(o => o.ValueType == "NM").Select(o => o.ObservationValue.Value));
        Assert.Equal("UCUM", m.Obx.First().Units.Component(3).Value);
        Assert.Equal("LAB-555", m.Msh.ControlId);
        var vxu = Hl7Parser.Parse(Golden.Input("vxu-v04")).Message!;
        Assert.Equal("08", new RxaSegment(vxu.First("RXA")!).AdministeredCode.Value);
        Assert.Equal("LT", new RxrSegment(vxu.First("RXR")!).AdministrationSite.Value);
    }

    [Fact]
    public void HL7_null_and_missing_fields_are_told_apart()
    {
        var pid = Parse(Msh + "PID|1||\"\"\r").First("PID")!;
        Assert.True(pid.Field(3).IsNull);
        Assert.True(pid.Field(30).IsEmpty);
        Assert.Equal("", pid[30, 4, 2]);
    }

    [Fact]
    public void Escape_then_parse_gives_the_value_back()
    {
        var d = Hl7Delimiters.Standard with { Truncation = '#' };
        const string value = "a|b^c~d\\e&f#g\rh";
        var text = $"MSH|^~\\&#|A|B|C|D|1||ADT^A04|1|P|2.7\rNTE|1||{Hl7Writer.Escape(value, d)}\r";
        Assert.Equal(value, Parse(text).First("NTE")![3]);
    }
}
