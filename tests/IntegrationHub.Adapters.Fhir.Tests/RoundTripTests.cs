using System.Text;
using System.Xml.Linq;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Adapters.Fhir.Tests;

/// <summary>What parse → serialize keeps, and the documented exceptions (adapter README, "Round trip").</summary>
public sealed class RoundTripTests
{
    static readonly FhirAdapter Adapter = new(new FhirOptions());

    const string Observation = """
        {"resourceType":"Observation","id":"o1","status":"final","code":{"text":"weight"},
         "valueQuantity":{"value":72.50,"unit":"kg"},"note":[{"text":"Ünïcode ok, \"quoted\""}],
         "_status":{"extension":[{"url":"http://example.org/x","valueString":"on a primitive"}]}}
        """;

    [Fact]
    public void JSON_round_trip_keeps_decimal_precision_primitive_extensions_and_text()
    {
        var parsed = Adapter.Parse(Encoding.UTF8.GetBytes(Observation), FhirFormat.Json);
        var written = Adapter.Serialize(parsed.Resource!, FhirFormat.Json);

        Assert.Contains("\"value\":72.50", written);
        Assert.Null(NormalisedJson.FirstDifference(Encoding.UTF8.GetBytes(Observation), Encoding.UTF8.GetBytes(written)));
    }

    [Fact]
    public void JSON_to_XML_to_JSON_is_lossless()
    {
        var parsed = Adapter.Parse(Encoding.UTF8.GetBytes(Observation), FhirFormat.Json);
        var xml = Adapter.Serialize(parsed.Resource!, FhirFormat.Xml);
        var back = Adapter.Parse(Encoding.UTF8.GetBytes(xml), FhirFormat.Xml);

        Assert.True(back.Succeeded);
        Assert.StartsWith("<Observation xmlns=\"http://hl7.org/fhir\">", xml.TrimStart('\uFEFF').Split("?>").Last());
        Assert.Null(NormalisedJson.FirstDifference(Encoding.UTF8.GetBytes(Observation), Adapter.SerializeToUtf8(back.Resource!, FhirFormat.Json)));
    }

    [Fact]
    public void XML_round_trip_is_equal_after_removing_comments_and_insignificant_whitespace()
    {
        const string xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <!-- a comment the round trip drops -->
            <Patient xmlns="http://hl7.org/fhir">
              <id value="p1"/>
              <text>
                <status value="generated"/>
                <div xmlns="http://www.w3.org/1999/xhtml"><p>Asha <b>Rao</b></p><!-- kept inside the narrative --></div>
              </text>
              <!-- another -->
              <name>
                <family value="Rao"/>
                <given value="Asha"/>
              </name>
              <birthDate value="1970-01-01"><extension url="http://example.org/x"><valueString value="on a primitive"/></extension></birthDate>
            </Patient>
            """;
        var parsed = Adapter.Parse(Encoding.UTF8.GetBytes(xml), FhirFormat.Xml);
        Assert.True(parsed.Succeeded, string.Join("; ", parsed.Outcome.Issue.Select(i => i.Diagnostics)));

        var written = Adapter.Serialize(parsed.Resource!, FhirFormat.Xml, pretty: true);

        Assert.True(XNode.DeepEquals(Normalised(xml), Normalised(written)), written);
        Assert.Contains("kept inside the narrative", written);
    }

    [Fact]
    public void Pretty_and_compact_JSON_hold_the_same_resource()
    {
        var parsed = Adapter.Parse(Encoding.UTF8.GetBytes(Observation), FhirFormat.Json);
        var pretty = Adapter.Serialize(parsed.Resource!, FhirFormat.Json, pretty: true);
        Assert.Contains('\n', pretty);
        Assert.Null(NormalisedJson.FirstDifference(Encoding.UTF8.GetBytes(pretty), Adapter.SerializeToUtf8(parsed.Resource!, FhirFormat.Json)));
    }

    [Fact]
    public void A_decimal_beyond_the_range_of_dotnet_decimal_stays_the_same_JSON_number()
    {
        const string body = """{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":-1.000000000000000000E+245}}""";
        var parsed = Adapter.Parse(Encoding.UTF8.GetBytes(body), FhirFormat.Json);

        Assert.True(parsed.Succeeded);
        Assert.Contains(parsed.Outcome.Issue, i => i.Severity == OperationOutcome.IssueSeverity.Warning && i.Expression.Single() == "Observation.value.value");
        Assert.Contains("\"value\":-1.000000000000000000E+245", Adapter.Serialize(parsed.Resource!, FhirFormat.Json));
    }

    /// <summary>Documented exception: the SDK holds base64Binary as bytes; line breaks inside the base64 text are not kept.</summary>
    [Fact]
    public void Whitespace_inside_base64Binary_is_not_kept_but_the_bytes_are()
    {
        const string body = """{"resourceType":"Binary","contentType":"text/plain","data":"SGVsbG8g\nV29ybGQ="}""";
        var parsed = Adapter.Parse(Encoding.UTF8.GetBytes(body), FhirFormat.Json);
        var written = Adapter.Serialize(parsed.Resource!, FhirFormat.Json);

        Assert.Contains("\"data\":\"SGVsbG8gV29ybGQ=\"", written);
        Assert.Equal("Hello World", Encoding.UTF8.GetString(((Binary)parsed.Resource!).Data!));
        var comparison = NormalisedJson.Compare(Encoding.UTF8.GetBytes(body), Encoding.UTF8.GetBytes(written));
        Assert.Null(comparison.Loss);
        Assert.Equal($"{NormalisedJson.Base64Whitespace} at $.data", comparison.Exceptions.Single());
    }

    /// <summary>Documented exception: FHIR R4 says leading and trailing whitespace "SHOULD be removed when using the XML format".</summary>
    [Fact]
    public void Through_XML_a_string_loses_its_leading_and_trailing_whitespace()
    {
        const string body = """{"resourceType":"Patient","name":[{"family":"Rao "}]}""";
        var parsed = Adapter.Parse(Encoding.UTF8.GetBytes(body), FhirFormat.Json);
        var back = Adapter.Parse(Adapter.SerializeToUtf8(parsed.Resource!, FhirFormat.Xml), FhirFormat.Xml);

        Assert.Equal("Rao", ((Patient)back.Resource!).Name[0].Family);
        Assert.NotNull(NormalisedJson.FirstDifference(Encoding.UTF8.GetBytes(body), Adapter.SerializeToUtf8(back.Resource!, FhirFormat.Json)));
        Assert.Null(NormalisedJson.FirstDifference(Encoding.UTF8.GetBytes(body), Adapter.SerializeToUtf8(back.Resource!, FhirFormat.Json), throughXml: true));
    }

    [Fact]
    public void Data_the_model_cannot_hold_is_an_error_and_still_written_back()
    {
        const string body = """{"resourceType":"Patient","futureElement":{"a":1}}""";
        var parsed = Adapter.Parse(Encoding.UTF8.GetBytes(body), FhirFormat.Json);

        Assert.False(parsed.Succeeded);
        Assert.Contains(parsed.Outcome.Issue, i => i.Severity == OperationOutcome.IssueSeverity.Error && i.Expression.Single() == "Patient.futureElement");
        Assert.Null(NormalisedJson.FirstDifference(Encoding.UTF8.GetBytes(body), Adapter.SerializeToUtf8(parsed.Resource!, FhirFormat.Json)));
    }

    [Fact]
    public void Problem_makes_an_error_outcome_with_the_code_and_expression()
    {
        var outcome = FhirAdapter.Problem("too-costly", "too big", "Bundle.entry");
        var issue = outcome.Issue.Single();
        Assert.Equal((OperationOutcome.IssueSeverity.Error, OperationOutcome.IssueType.TooCostly, "too big", "Bundle.entry"),
            (issue.Severity!.Value, issue.Code!.Value, issue.Diagnostics, issue.Expression.Single()));
        Assert.Equal(OperationOutcome.IssueType.Processing, FhirAdapter.Problem("no-such-code", "x").Issue.Single().Code);
    }

    [Fact]
    public void AddFhirAdapter_registers_one_adapter_with_the_configured_limits()
    {
        var services = new ServiceCollection().AddFhirAdapter(o => o.Limits = new FhirLimits { MaxDepth = 10 });

        var registration = Assert.Single(services, d => d.ServiceType == typeof(FhirAdapter));
        Assert.Equal(ServiceLifetime.Singleton, registration.Lifetime);
        var options = (FhirOptions)Assert.Single(services, d => d.ServiceType == typeof(FhirOptions)).ImplementationInstance!;
        var adapter = (FhirAdapter)registration.ImplementationFactory!(new OneService(options));
        Assert.Equal(10, adapter.Limits.MaxDepth);
    }

    [Fact]
    public void A_profile_added_at_run_time_is_used_by_the_next_validation()
    {
        var adapter = new FhirAdapter(new FhirOptions());
        var profile = (StructureDefinition)adapter.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Golden", "profile-department-patient.json")), FhirFormat.Json).Resource!;
        var patient = adapter.Parse("""{"resourceType":"Patient","identifier":[{"value":"1"}]}"""u8, FhirFormat.Json).Resource!;

        adapter.AddProfile(profile);
        var outcome = adapter.Validate(patient, [profile.Url!]);

        var error = Assert.Single(outcome.Issue, i => i.Severity == OperationOutcome.IssueSeverity.Error);
        Assert.Contains("birthDate", error.Details?.Text);
    }

    sealed class OneService(object service) : IServiceProvider
    {
        public object? GetService(Type serviceType) => serviceType.IsInstanceOfType(service) ? service : null;
    }

    static XElement Normalised(string xml)
    {
        var root = XDocument.Parse(xml).Root!;
        root.DescendantNodesAndSelf().OfType<XComment>().Where(c => c.Ancestors().All(a => a.Name.LocalName != "div")).ToList().ForEach(c => c.Remove());
        return root;
    }
}
