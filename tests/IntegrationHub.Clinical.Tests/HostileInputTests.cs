using System.Net;
using System.Text;
using IntegrationHub.Clinical.Api;

namespace IntegrationHub.Clinical.Tests;

/// <summary>
/// What a hostile or broken client sends gets a 4xx and an OperationOutcome with an error, never a 500, and nothing of
/// it comes back out as a resource.
/// </summary>
public sealed class HostileInputTests(ClinicalFixture clinical) : IClassFixture<ClinicalFixture>
{
    const string Json = "application/fhir+json";
    const string Xml = "application/fhir+xml";

    public static TheoryData<string, string, int, int> Cases => new()
    {
        // case, content type, $validate status, translate status
        { "invalid UTF-8", Json, 400, 400 },
        { "NUL in a JSON string", Json, 400, 400 },
        { "control character in a JSON string", Json, 400, 400 },
        { "NUL in XML", Xml, 400, 400 },
        { "lone surrogate", Json, 400, 400 },
        { "JSON nested past the limit", Json, 400, 400 },
        { "XML nested past the limit", Xml, 400, 400 },
        { "external entity (XXE)", Xml, 400, 400 },
        { "entity expansion (billion laughs)", Xml, 400, 400 },
        { "duplicate JSON keys", Json, 400, 400 },
        { "JSON in an XML body", Xml, 400, 400 },
    };

    static byte[] Body(string name) => name switch
    {
        "invalid UTF-8" => [.. "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"A"u8, 0xFF, 0xFE, .. "\"}]}"u8],
        "NUL in a JSON string" => Encoding.UTF8.GetBytes("""{"resourceType":"Patient","name":[{"family":"A\u0000B"}]}"""),
        "control character in a JSON string" => Encoding.UTF8.GetBytes("""{"resourceType":"Patient","name":[{"family":"A\u0001B"}]}"""),
        "lone surrogate" => Encoding.UTF8.GetBytes("""{"resourceType":"Patient","name":[{"family":"A\udc00B"}]}"""),
        "NUL in XML" => Encoding.UTF8.GetBytes("""<Patient xmlns="http://hl7.org/fhir"><name><family value="A&#0;B"/></name></Patient>"""),
        "JSON nested past the limit" => Encoding.UTF8.GetBytes("""{"resourceType":"Patient","extension":[""" +
            string.Concat(Enumerable.Repeat("""{"url":"http://x","extension":[""", 200)) + string.Concat(Enumerable.Repeat("]}", 200)) + "]}"),
        "XML nested past the limit" => Encoding.UTF8.GetBytes("""<Patient xmlns="http://hl7.org/fhir">""" +
            string.Concat(Enumerable.Repeat("""<extension url="http://x">""", 200)) + string.Concat(Enumerable.Repeat("</extension>", 200)) + "</Patient>"),
        "external entity (XXE)" => Encoding.UTF8.GetBytes("""
            <?xml version="1.0"?>
            <!DOCTYPE Patient [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
            <Patient xmlns="http://hl7.org/fhir"><id value="&xxe;"/></Patient>
            """),
        "entity expansion (billion laughs)" => Encoding.UTF8.GetBytes("""
            <?xml version="1.0"?>
            <!DOCTYPE lolz [ <!ENTITY lol "lol"> <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
              <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"> ]>
            <Patient xmlns="http://hl7.org/fhir"><id value="&lol3;"/></Patient>
            """),
        "duplicate JSON keys" => Encoding.UTF8.GetBytes("""{"resourceType":"Patient","gender":"male","gender":"female"}"""),
        "JSON in an XML body" => Encoding.UTF8.GetBytes("""{"resourceType":"Patient"}"""),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Validate_answers_hostile_input_with_an_outcome_holding_an_error_never_a_500(string name, string contentType, int status, int _)
    {
        using var response = await clinical.Post(ClinicalApi.ValidatePath, Body(name), contentType);

        Assert.Equal((HttpStatusCode)status, response.StatusCode);
        Assert.Contains(await Issue.Of(response), i => i.IsError);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Translate_refuses_hostile_input_with_a_4xx_outcome_and_gives_no_resource(string name, string contentType, int _, int status)
    {
        using var response = await clinical.Post(ClinicalApi.TranslatePath + "?from=fhir&to=fhir", Body(name), contentType);

        Assert.Equal((HttpStatusCode)status, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains(await Issue.Of(response), i => i.IsError);
        Assert.DoesNotContain("root:", text); // nothing of /etc/passwd
    }

    [Fact]
    public async Task Huge_decimal_is_valid_fhir_and_is_written_back_as_the_same_number()
    {
        using var response = await clinical.Post(ClinicalApi.TranslatePath + "?from=fhir&to=fhir",
            """{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1e999999}}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"value\":1e999999", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Nul_in_a_json_string_is_refused_at_its_element()
    {
        using var response = await clinical.Post(ClinicalApi.ValidatePath, Body("NUL in a JSON string"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(await Issue.Of(response), i => i.IsError && i.Expression!.StartsWith("Patient.name[0].family", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Query_string_with_a_nul_is_refused_before_the_route_with_a_problem()
    {
        using var response = await clinical.Post(ClinicalApi.ValidatePath + "?profile=a%00b", Body("NUL in a JSON string"));

        await IntegrationHub.Testing.Problems.AssertProblem(response, HttpStatusCode.BadRequest, "NUL");
    }
}
