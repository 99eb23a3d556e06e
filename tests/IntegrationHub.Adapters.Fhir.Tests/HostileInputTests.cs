using System.Text;
using Hl7.Fhir.Model;

namespace IntegrationHub.Adapters.Fhir.Tests;

/// <summary>Input meant to hurt: every one is refused (or, the big bundle, accepted) with an issue, never an exception.</summary>
public sealed class HostileInputTests
{
    static readonly FhirAdapter Adapter = new(new FhirOptions());

    [Fact]
    public void Deep_JSON_nesting_is_refused_with_the_limit_and_the_element_path()
    {
        var deep = new StringBuilder("""{"resourceType":"Patient","extension":""");
        for (var i = 0; i < 10_000; i++)
            deep.Append("""[{"url":"x","extension":""");
        deep.Append("[]");
        for (var i = 0; i < 10_000; i++)
            deep.Append("}]");
        deep.Append('}');

        var issue = Refused(Adapter.Parse(Encoding.UTF8.GetBytes(deep.ToString()), FhirFormat.Json));

        Assert.Equal(OperationOutcome.IssueType.TooCostly, issue.Code);
        Assert.Contains("limit of 64 levels", issue.Diagnostics);
        Assert.StartsWith("Patient.extension[0].extension[0].extension[0]", issue.Expression.Single());
    }

    [Fact]
    public void Deep_XML_nesting_is_refused_with_the_limit_and_the_element_path()
    {
        var deep = new StringBuilder("""<Patient xmlns="http://hl7.org/fhir">""");
        for (var i = 0; i < 10_000; i++)
            deep.Append("""<extension url="x">""");
        for (var i = 0; i < 10_000; i++)
            deep.Append("</extension>");
        deep.Append("</Patient>");

        var issue = Refused(Adapter.Parse(Encoding.UTF8.GetBytes(deep.ToString()), FhirFormat.Xml));

        Assert.Equal(OperationOutcome.IssueType.TooCostly, issue.Code);
        Assert.StartsWith("Patient.extension.extension", issue.Expression.Single());
    }

    [Theory]
    [InlineData(FhirFormat.Json)]
    [InlineData(FhirFormat.Xml)]
    public void A_string_past_the_length_limit_is_refused_with_its_element(FhirFormat format)
    {
        var adapter = new FhirAdapter(new FhirOptions { Limits = new FhirLimits { MaxStringLength = 1000 } });
        var family = new string('a', 1001);
        var body = format == FhirFormat.Json
            ? $$"""{"resourceType":"Patient","name":[{"family":"{{family}}"}]}"""
            : $"""<Patient xmlns="http://hl7.org/fhir"><name><family value="{family}"/></name></Patient>""";

        var issue = Refused(adapter.Parse(Encoding.UTF8.GetBytes(body), format));

        Assert.Equal(OperationOutcome.IssueType.TooCostly, issue.Code);
        Assert.Contains("1000 characters", issue.Diagnostics);
        Assert.Equal(format == FhirFormat.Json ? "Patient.name[0].family" : "Patient.name.family", issue.Expression.Single());
    }

    [Fact]
    public void A_string_at_the_length_limit_is_accepted()
    {
        var adapter = new FhirAdapter(new FhirOptions { Limits = new FhirLimits { MaxStringLength = 1000 } });
        var body = $$"""{"resourceType":"Patient","name":[{"family":"{{new string('é', 1000)}}"}]}""";
        Assert.True(adapter.Parse(Encoding.UTF8.GetBytes(body), FhirFormat.Json).Succeeded);
    }

    [Fact]
    public void Invalid_UTF8_in_JSON_is_refused_with_its_byte_offset_and_line()
    {
        var body = Encoding.UTF8.GetBytes("{\"resourceType\":\"Patient\",\n\"name\":[{\"family\":\"R\u00e9X\"}]}");
        var at = Array.IndexOf(body, (byte)'X');
        body[at - 1] = 0xFF; // the second byte of é: now a broken sequence

        var issue = Refused(Adapter.Parse(body, FhirFormat.Json));

        Assert.Equal(OperationOutcome.IssueType.Invalid, issue.Code);
        Assert.Contains("not valid UTF-8", issue.Diagnostics);
        Assert.Contains("line 2", issue.Diagnostics);
    }

    [Fact]
    public void Invalid_UTF8_in_XML_is_refused()
    {
        var body = Encoding.UTF8.GetBytes("""<Patient xmlns="http://hl7.org/fhir"><name><family value="RéX"/></name></Patient>""");
        body[Array.IndexOf(body, (byte)'X') - 1] = 0xFF;

        var issue = Refused(Adapter.Parse(body, FhirFormat.Xml));

        Assert.Equal(OperationOutcome.IssueType.Structure, issue.Code);
        Assert.Contains("not well-formed", issue.Diagnostics);
    }

    [Fact]
    public void Duplicate_keys_are_refused_with_the_element_path()
    {
        var issue = Refused(Adapter.Parse("""{"resourceType":"Patient","name":[{"family":"Rao","family":"Roy"}]}"""u8, FhirFormat.Json));

        Assert.Equal(OperationOutcome.IssueType.Structure, issue.Code);
        Assert.Contains("Duplicate property 'family'", issue.Diagnostics);
        Assert.Equal("Patient.name[0].family", issue.Expression.Single());
        Assert.Equal("line 1, position 51", issue.Location.Single());
    }

    [Fact]
    public void A_nul_character_in_a_string_is_refused_with_its_element()
    {
        var issue = Refused(Adapter.Parse("""{"resourceType":"Patient","name":[{"family":"A\u0000B"}]}"""u8, FhirFormat.Json));

        Assert.Equal(OperationOutcome.IssueType.Value, issue.Code);
        Assert.Contains("NUL", issue.Diagnostics);
        Assert.Equal("Patient.name[0].family", issue.Expression.Single());
    }

    [Theory]
    [InlineData("""{"resourceType":"Patient","name":[{"family":"a\u0001b"}]}""", "Patient.name[0].family")]
    [InlineData("""{"resourceType":"Patient","name":[{"family":"a\uFFFFb"}]}""", "Patient.name[0].family")]
    [InlineData("""{"resourceType":"Patient","x\u0001":1}""", "Patient")]
    public void Text_that_XML_cannot_hold_is_refused_so_it_can_be_written_as_XML(string json, string element)
    {
        var issue = Refused(Adapter.Parse(Encoding.UTF8.GetBytes(json), FhirFormat.Json));

        Assert.Equal(OperationOutcome.IssueType.Value, issue.Code);
        Assert.StartsWith(element, issue.Expression.Single());
    }

    [Fact]
    public void The_same_key_in_two_objects_is_not_a_duplicate()
    {
        Assert.True(Adapter.Parse("""{"resourceType":"Patient","name":[{"family":"Rao"},{"family":"Roy"}]}"""u8, FhirFormat.Json).Succeeded);
    }

    [Fact]
    public void XML_with_an_external_entity_is_refused_and_the_file_is_never_read()
    {
        var secret = Path.GetTempFileName();
        File.WriteAllText(secret, "secret-content");
        try
        {
            var body = $"""
                <?xml version="1.0"?>
                <!DOCTYPE Patient [ <!ENTITY xxe SYSTEM "file://{secret}"> ]>
                <Patient xmlns="http://hl7.org/fhir"><name><family value="&xxe;"/></name></Patient>
                """;

            var result = Adapter.Parse(Encoding.UTF8.GetBytes(body), FhirFormat.Xml);

            var issue = Refused(result);
            Assert.Contains("DTDs and entity declarations are refused", issue.Diagnostics);
            Assert.DoesNotContain("secret-content", Adapter.Serialize(result.Outcome, FhirFormat.Json));
        }
        finally
        {
            File.Delete(secret);
        }
    }

    [Fact]
    public void XML_entity_expansion_is_refused()
    {
        const string laughs = """
            <?xml version="1.0"?>
            <!DOCTYPE lolz [ <!ENTITY lol "lol"> <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"> ]>
            <Patient xmlns="http://hl7.org/fhir"><name><family value="&lol2;"/></name></Patient>
            """;
        Assert.Contains("DTDs and entity declarations are refused", Refused(Adapter.Parse(Encoding.UTF8.GetBytes(laughs), FhirFormat.Xml)).Diagnostics);
    }

    [Fact]
    public void A_body_past_MaxBytes_is_refused_without_reading_the_rest_of_the_stream()
    {
        var adapter = new FhirAdapter(new FhirOptions { Limits = new FhirLimits { MaxBytes = 1_000_000 } });
        var endless = new EndlessStream();

        var issue = Refused(adapter.Parse(endless, FhirFormat.Json));

        Assert.Equal(OperationOutcome.IssueType.TooCostly, issue.Code);
        Assert.InRange(endless.BytesRead, 1_000_000, 1_200_000);
    }

    [Fact]
    public void A_span_past_MaxBytes_is_refused()
    {
        var adapter = new FhirAdapter(new FhirOptions { Limits = new FhirLimits { MaxBytes = 100 } });
        var issue = Refused(adapter.Parse(Encoding.UTF8.GetBytes($$"""{"resourceType":"Patient","id":"{{new string('a', 100)}}"}"""), FhirFormat.Json));
        Assert.Contains("the limit is 100", issue.Diagnostics);
    }

    [Fact]
    public void A_bundle_past_MaxBundleEntries_is_refused()
    {
        var adapter = new FhirAdapter(new FhirOptions { Limits = new FhirLimits { MaxBundleEntries = 3 } });
        var entries = string.Join(",", Enumerable.Range(0, 4).Select(i => $$$"""{"resource":{"resourceType":"Patient","id":"p{{{i}}}"}}"""));

        var result = adapter.Parse(Encoding.UTF8.GetBytes($$"""{"resourceType":"Bundle","type":"collection","entry":[{{entries}}]}"""), FhirFormat.Json);

        Assert.False(result.Succeeded);
        var issue = Assert.Single(result.Outcome.Issue);
        Assert.Equal(("Bundle.entry", OperationOutcome.IssueType.TooCostly), (issue.Expression.Single(), issue.Code));
    }

    [Fact]
    public void A_50_MB_bundle_within_the_limits_parses_and_serializes()
    {
        var body = LargeBundle.Json(50 * 1024 * 1024);

        using var stream = new MemoryStream(body);
        var result = Adapter.Parse(stream, FhirFormat.Json);

        Assert.True(result.Succeeded, string.Join("; ", result.Outcome.Issue.Select(i => i.Diagnostics)));
        var bundle = Assert.IsType<Bundle>(result.Resource);
        Assert.Equal(LargeBundle.EntriesIn(body), bundle.Entry.Count);
        Assert.Null(NormalisedJson.FirstDifference(body, Adapter.SerializeToUtf8(bundle, FhirFormat.Json)));
    }

    [Theory]
    [InlineData("", "The body is empty")]
    [InlineData("{\"resourceType\":\"Patient\",\n  \"active\": tru }", "not valid JSON")]
    [InlineData("[1, 2]", "no FHIR resource")]
    [InlineData("{\"resourceType\":\"NoSuchThing\"}", "NoSuchThing")]
    [InlineData("{\"id\":\"x\"}", "resourceType")]
    [InlineData("null", "")]
    public void Malformed_JSON_is_an_issue_never_an_exception(string body, string diagnostics)
    {
        var result = Adapter.Parse(Encoding.UTF8.GetBytes(body), FhirFormat.Json);
        Assert.False(result.Succeeded);
        Assert.Contains(result.Outcome.Issue, i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal && (i.Diagnostics ?? "").Contains(diagnostics));
    }

    [Fact]
    public void A_JSON_syntax_error_gives_its_line_position_and_element()
    {
        var issue = Refused(Adapter.Parse("{\"resourceType\":\"Patient\",\n  \"active\": tru }"u8, FhirFormat.Json));
        Assert.Matches(@"^line 2, position 1[3-6]$", issue.Location.Single()); // within "tru ", where the reader gave up
        Assert.Equal("Patient.active", issue.Expression.Single());
    }

    [Fact]
    public void An_unknown_element_is_an_error_with_its_path_and_position()
    {
        var result = Adapter.Parse("{\"resourceType\":\"Patient\",\n\"name\":[{\"famly\":\"Rao\"}]}"u8, FhirFormat.Json);
        Assert.False(result.Succeeded);
        var issue = Assert.Single(result.Outcome.Issue);
        Assert.Equal("Patient.name[0].famly", issue.Expression.Single());
        Assert.Equal("line 2, position 18", issue.Location.Single());
    }

    [Theory]
    [InlineData("<Patient xmlns=\"http://hl7.org/fhir\"><active value=\"true\"></Patient>")]
    [InlineData("<Patient xmlns=\"http://hl7.org/fhir\"><active value=\"true\"/>")]
    [InlineData("not xml at all")]
    [InlineData("<Patient><active value=\"true\"/></Patient>")]
    public void Malformed_XML_is_an_issue_never_an_exception(string body)
    {
        var result = Adapter.Parse(Encoding.UTF8.GetBytes(body), FhirFormat.Xml);
        Assert.False(result.Succeeded);
        Assert.Contains(result.Outcome.Issue, i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal);
    }

    static OperationOutcome.IssueComponent Refused(FhirParseResult result)
    {
        Assert.False(result.Succeeded);
        Assert.Null(result.Resource);
        var issue = Assert.Single(result.Outcome.Issue);
        Assert.Equal(OperationOutcome.IssueSeverity.Error, issue.Severity);
        return issue;
    }

    sealed class EndlessStream : Stream
    {
        public long BytesRead { get; private set; }
        public override int Read(byte[] buffer, int offset, int count)
        {
            buffer.AsSpan(offset, count).Fill((byte)' ');
            BytesRead += count;
            return count;
        }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => BytesRead; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
