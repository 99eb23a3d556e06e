using System.Text;
using System.Net;
using System.Text.Json.Nodes;
using IntegrationHub.Clinical.Api;
using IntegrationHub.Testing;

namespace IntegrationHub.Clinical.Tests;

/// <summary>The Clinical routes through the endpoint's real Program and HTTP pipeline: who may call them, and what they answer.</summary>
public sealed class ClinicalApiTests(ClinicalFixture clinical) : IClassFixture<ClinicalFixture>
{
    const string Validate = ClinicalApi.ValidatePath;
    const string FhirToFhir = ClinicalApi.TranslatePath + "?from=fhir&to=fhir";
    static readonly string Patient = ClinicalFixture.Example("patient.json");
    static readonly string InvalidPatient = ClinicalFixture.Example("patient-invalid.json");

    /// <summary>Well-formed, but against invariant pat-1: a contact needs details or an organization.</summary>
    const string PatientBreakingAnInvariant = """{ "resourceType": "Patient", "contact": [ { "gender": "male" } ] }""";

    const string PatientWithoutIdentifierOrBirthDate = """{ "resourceType": "Patient", "name": [ { "family": "Example" } ] }""";

    [Fact]
    public async Task Routes_without_a_token_answer_401_problems()
    {
        foreach (var path in new[] { Validate, FhirToFhir })
        {
            using var response = await clinical.Post(path, Patient, token: null);
            await response.AssertProblem(HttpStatusCode.Unauthorized, "bearer token");
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        }
    }

    [Fact]
    public async Task Routes_without_the_clinical_read_scope_answer_403_problems_naming_it()
    {
        foreach (var path in new[] { Validate, FhirToFhir })
        {
            using var response = await clinical.Post(path, Patient, token: clinical.Token(ClinicalFixture.Health, "requests:read"));
            await response.AssertProblem(HttpStatusCode.Forbidden, ClinicalScopes.Read.Name);
        }
    }

    [Fact]
    public async Task A_token_of_a_department_the_hub_does_not_know_answers_403()
    {
        using var response = await clinical.Post(Validate, Patient, token: clinical.Token("nobody"));

        await response.AssertProblem(HttpStatusCode.Forbidden, "not registered");
    }

    [Fact]
    public async Task Valid_patient_validates_to_200_with_an_outcome_without_errors()
    {
        using var response = await clinical.Post(Validate, Patient);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain(await Issue.Of(response), i => i.IsError);
    }

    [Fact]
    public async Task Invalid_patient_validates_to_200_with_errors_saying_where_and_why()
    {
        using var response = await clinical.Post(Validate, InvalidPatient);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var errors = (await Issue.Of(response)).Where(i => i.IsError).ToList();
        Assert.Contains(errors, e => e.Expression!.StartsWith("Patient.gender", StringComparison.Ordinal) && e.Text.Contains("unknown-code", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Expression!.StartsWith("Patient.birthDate", StringComparison.Ordinal) && e.Text.Contains("12/04/1990", StringComparison.Ordinal));
        Assert.Equal(2, (await Issue.Of(response)).Count); // each finding told once
    }

    [Fact]
    public async Task Xml_body_gets_an_xml_outcome_unless_accept_asks_for_json()
    {
        var xml = """<Patient xmlns="http://hl7.org/fhir"><gender value="unknown-code"/></Patient>""";

        using var asSent = await clinical.Post(Validate, xml, "application/fhir+xml");
        using var asAccepted = await clinical.Post(Validate, xml, "application/fhir+xml", accept: "application/fhir+json");

        Assert.Equal(HttpStatusCode.OK, asSent.StatusCode);
        Assert.Equal("application/fhir+xml", asSent.Content.Headers.ContentType?.MediaType);
        Assert.Contains(await Issue.Of(asSent), i => i.IsError && i.Expression!.StartsWith("Patient.gender", StringComparison.Ordinal));
        Assert.Equal("application/fhir+json", asAccepted.Content.Headers.ContentType?.MediaType);
        Assert.Contains(await Issue.Of(asAccepted), i => i.IsError && i.Expression!.StartsWith("Patient.gender", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Profile_named_in_the_query_is_checked_with_the_base_specification()
    {
        using var againstBase = await clinical.Post(Validate, PatientWithoutIdentifierOrBirthDate);
        using var againstProfile = await clinical.Post(Validate + "?profile=" + Uri.EscapeDataString(ClinicalFixture.ProfileUrl), PatientWithoutIdentifierOrBirthDate);
        using var conforming = await clinical.Post(Validate + "?profile=" + Uri.EscapeDataString(ClinicalFixture.ProfileUrl), Patient);

        Assert.DoesNotContain(await Issue.Of(againstBase), i => i.IsError);
        Assert.Equal(HttpStatusCode.OK, againstProfile.StatusCode);
        var errors = (await Issue.Of(againstProfile)).Where(i => i.IsError).Select(i => i.Text).ToList();
        Assert.Contains(errors, e => e.Contains("'identifier'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("'birthDate'", StringComparison.Ordinal));
        Assert.DoesNotContain(await Issue.Of(conforming), i => i.IsError);
    }

    [Fact]
    public async Task Profile_the_hub_does_not_know_is_an_error_of_the_outcome_naming_it()
    {
        using var response = await clinical.Post(Validate + "?profile=" + Uri.EscapeDataString("https://nowhere.example/fhir/StructureDefinition/x"), Patient);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(await Issue.Of(response), i => i.IsError && i.Text.Contains("https://nowhere.example/fhir/StructureDefinition/x", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Resource_breaking_an_invariant_validates_to_200_with_the_error_on_its_element()
    {
        using var response = await clinical.Post(Validate, PatientBreakingAnInvariant);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(await Issue.Of(response), i => i.IsError && i.Text.Contains("pat-1", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("""{ "resourceType": "NoSuchResource" }""")]
    [InlineData("""[ "not", "a", "resource" ]""")]
    [InlineData("""{ "name": [ { "family": "no resourceType" } ] }""")]
    [InlineData("""{ "resourceType": "Patient", """)]
    [InlineData("")]
    public async Task Body_holding_no_fhir_resource_gets_400_with_an_outcome(string body)
    {
        using var response = await clinical.Post(Validate, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(await Issue.Of(response), i => i.IsError);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    public async Task Body_of_another_media_type_gets_415_problem_naming_the_fhir_ones(string contentType)
    {
        foreach (var path in new[] { Validate, FhirToFhir })
        {
            using var response = await clinical.Post(path, Patient, contentType);
            await response.AssertProblem(HttpStatusCode.UnsupportedMediaType, "application/fhir+json");
        }
    }

    [Fact]
    public async Task Body_over_the_limit_gets_413_problem_naming_the_limit()
    {
        var padding = new string(' ', ClinicalFixture.MaxRequestBytes);
        foreach (var path in new[] { Validate, FhirToFhir })
        {
            using var response = await clinical.Post(path, Patient + padding);
            await response.AssertProblem(HttpStatusCode.RequestEntityTooLarge, ClinicalFixture.MaxRequestBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public async Task Translate_json_to_xml_and_back_gives_the_same_resource_in_normal_form()
    {
        using var toXml = await clinical.Post(FhirToFhir + "&format=xml", Patient);
        var xml = await toXml.Content.ReadAsStringAsync();
        using var backToJson = await clinical.Post(FhirToFhir + "&format=json", xml, "application/fhir+xml");
        var json = await backToJson.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, toXml.StatusCode);
        Assert.Equal("application/fhir+xml", toXml.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("<?xml", xml);
        Assert.Contains("<birthDate value=\"1990-04-12\" />", xml);
        Assert.Equal(HttpStatusCode.OK, backToJson.StatusCode);
        Assert.Equal("application/fhir+json", backToJson.Content.Headers.ContentType?.MediaType);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(Patient), JsonNode.Parse(json)), $"the round trip changed the resource: {json}");
        Assert.DoesNotContain('\n', json); // normal form: compact
    }

    [Fact]
    public async Task Translate_answers_in_the_format_asked_by_the_query_else_accept_else_the_bodys()
    {
        using var byQuery = await clinical.Post(FhirToFhir + "&format=xml", Patient, accept: "application/fhir+json");
        using var byAccept = await clinical.Post(FhirToFhir, Patient, accept: "application/fhir+xml");
        using var byBody = await clinical.Post(FhirToFhir, Patient, accept: "*/*");

        Assert.Equal("application/fhir+xml", byQuery.Content.Headers.ContentType?.MediaType);
        Assert.Equal("application/fhir+xml", byAccept.Content.Headers.ContentType?.MediaType);
        Assert.Equal("application/fhir+json", byBody.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Translate_of_a_resource_that_breaks_the_rules_gets_422_with_the_outcome()
    {
        using var response = await clinical.Post(FhirToFhir, PatientBreakingAnInvariant);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains(await Issue.Of(response), i => i.IsError && i.Text.Contains("pat-1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Translate_of_a_resource_with_wrong_values_gets_422_with_where_and_why_in_the_format_asked()
    {
        using var response = await clinical.Post(FhirToFhir + "&format=xml", InvalidPatient);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("application/fhir+xml", response.Content.Headers.ContentType?.MediaType);
        var errors = (await Issue.Of(response)).Where(i => i.IsError).ToList();
        Assert.Contains(errors, e => e.Expression!.StartsWith("Patient.gender", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Expression!.StartsWith("Patient.birthDate", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Translate_of_a_resource_that_is_not_well_formed_gets_400_with_where_and_why()
    {
        using var response = await clinical.Post(FhirToFhir, """{ "resourceType": "Patient", "active": "yes", "nickname": "Ash" }""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await Issue.Of(response)).Where(i => i.IsError).ToList();
        Assert.Contains(errors, e => e.Expression == "Patient.active");
        Assert.Contains(errors, e => e.Expression == "Patient.nickname" && e.Text.Contains("unknown element", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("?from=csv&to=fhir", "'csv' to 'fhir'")]
    [InlineData("?from=fhir&to=csv", "'fhir' to 'csv'")]
    [InlineData("?to=fhir", "Both a source and a target")]
    [InlineData("", "Both a source and a target")]
    public async Task Translate_between_formats_it_does_not_offer_gets_400_problem_listing_the_supported(string query, string detail)
    {
        using var response = await clinical.Post(ClinicalApi.TranslatePath + query, Patient);

        var problem = await response.AssertProblem(HttpStatusCode.BadRequest, detail);
        Assert.Contains("fhir → fhir, hl7v2 → fhir, fhir → hl7v2", problem.GetProperty("detail").GetString());
        Assert.Equal(["fhir", "hl7v2"], problem.GetProperty("supportedFrom").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal(["fhir", "hl7v2"], problem.GetProperty("supportedTo").EnumerateArray().Select(f => f.GetString()));
    }

    static byte[] V2(params string[] segments) => Encoding.UTF8.GetBytes(string.Concat(segments.Select(s => s + "\r")));

    [Fact]
    public async Task Translate_hl7v2_to_fhir_answers_the_message_bundle_and_names_the_dropped_fields()
    {
        using var response = await clinical.Post(ClinicalApi.TranslatePath + "?from=hl7v2&to=fhir", V2(
            "MSH|^~\\&|ADTSYS|CITYHOSP|HUB|GOV|20261202101500+0500||ADT^A04^ADT_A01|T-1|P|2.5.1",
            "EVN|A04|20261202101500+0500",
            "PID|1||MRN-1^^^CITYHOSP^MR||KHAN^AYESHA||19870412|F||2106-3^White^HL70005",
            "PV1|1|O"), "x-application/hl7-v2+er7");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType?.MediaType);
        var bundle = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("message", (string?)bundle["type"]);
        Assert.Contains(bundle["entry"]!.AsArray(), e => (string?)e!["resource"]!["resourceType"] == "Patient");
        Assert.Equal("PID-10", response.Headers.GetValues(ClinicalApi.DroppedHeader).Single());
    }

    [Fact]
    public async Task Translate_hl7v2_of_a_trigger_without_a_map_gets_422_with_an_OperationOutcome()
    {
        using var response = await clinical.Post(ClinicalApi.TranslatePath + "?from=hl7v2&to=fhir", V2(
            "MSH|^~\\&|ADTSYS|CITYHOSP|HUB|GOV|20261202101500+0500||ADT^A02^ADT_A02|T-2|P|2.5.1",
            "PID|1||MRN-1^^^CITYHOSP^MR||KHAN"), "application/hl7-v2");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains(await Issue.Of(response), i => i.IsError && i.Text.Contains("ADT^A02 has no FHIR map", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("not an HL7 message at all")]
    [InlineData("MSH|^~\\&|A|B|C|D|2026||ADT^A04|1|P|9.9\rPID|1")]
    public async Task Translate_hl7v2_of_what_is_not_a_readable_v2_message_gets_400_with_an_OperationOutcome(string body)
    {
        using var response = await clinical.Post(ClinicalApi.TranslatePath + "?from=hl7v2&to=fhir", Encoding.UTF8.GetBytes(body),
            "x-application/hl7-v2+er7");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(await Issue.Of(response), i => i.IsError);
    }

    [Fact]
    public async Task Translate_hl7v2_sent_as_FHIR_gets_415_naming_the_v2_media_types()
    {
        using var response = await clinical.Post(ClinicalApi.TranslatePath + "?from=hl7v2&to=fhir", Patient);

        await response.AssertProblem(HttpStatusCode.UnsupportedMediaType, "application/hl7-v2");
    }

    [Fact]
    public async Task Translate_fhir_to_hl7v2_answers_an_ADT_the_v2_parser_accepts()
    {
        using var response = await clinical.Post(ClinicalApi.TranslatePath + "?from=fhir&to=hl7v2", Patient);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("x-application/hl7-v2+er7", response.Content.Headers.ContentType?.MediaType);
        var parsed = IntegrationHub.Adapters.Hl7v2.Hl7Parser.Parse(await response.Content.ReadAsByteArrayAsync());
        Assert.Empty(parsed.Problems);
        Assert.Equal("A04", parsed.Message!.Msh.TriggerEvent);
        Assert.NotEmpty(parsed.Message.First("PID")![3, 1]);
    }

    [Fact]
    public async Task Translate_fhir_to_hl7v2_of_a_patient_without_an_identifier_gets_422_saying_why()
    {
        using var response = await clinical.Post(ClinicalApi.TranslatePath + "?from=fhir&to=hl7v2",
            """{"resourceType":"Patient","name":[{"family":"Khan"}]}""");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains(await Issue.Of(response), i => i.IsError && i.Text.Contains("PID-3", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Translate_to_an_unknown_fhir_format_gets_400_problem()
    {
        using var response = await clinical.Post(FhirToFhir + "&format=turtle", Patient);

        await response.AssertProblem(HttpStatusCode.BadRequest, "json or xml");
    }

    [Fact]
    public async Task OpenApi_document_describes_both_routes_with_fhir_media_types_and_their_statuses()
    {
        using var document = System.Text.Json.JsonDocument.Parse(await clinical.Http.GetStringAsync("/openapi/v1.json"));
        var paths = document.RootElement.GetProperty("paths");

        var validate = paths.GetProperty(Validate).GetProperty("post");
        var translate = paths.GetProperty(ClinicalApi.TranslatePath).GetProperty("post");
        foreach (var (operation, statuses) in new[] { (validate, new[] { "200", "400", "401", "403", "413", "415", "429" }), (translate, ["200", "400", "401", "403", "413", "415", "422", "429"]) })
        {
            foreach (var status in statuses)
                Assert.True(operation.GetProperty("responses").TryGetProperty(status, out _), $"documents {status}");
            Assert.True(operation.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/fhir+xml", out _));
            Assert.True(operation.GetProperty("responses").GetProperty("200").GetProperty("content").TryGetProperty("application/fhir+json", out _));
        }
    }
}
