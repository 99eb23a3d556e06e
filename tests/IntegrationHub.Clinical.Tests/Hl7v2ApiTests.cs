using System.Net;
using System.Text;
using IntegrationHub.Clinical.Api;

namespace IntegrationHub.Clinical.Tests;

/// <summary><c>POST /api/v1/hl7v2</c>: the ACK as the answer, with a status that says what it means; never a 500.</summary>
public sealed class Hl7v2ApiTests(ClinicalFixture clinical) : IClassFixture<ClinicalFixture>
{
    string Writer => clinical.Token(scopes: ClinicalScopes.Write.Name);

    Task<HttpResponseMessage> Post(byte[] body, string contentType = Hl7v2Api.Er7Media, string? token = null) =>
        clinical.Post(Hl7v2Api.Path, body, contentType, token: token ?? Writer);

    [Fact]
    public async Task Accepted_message_answers_200_with_the_AA_ack_in_the_media_type_sent()
    {
        var controlId = Guid.NewGuid().ToString("N")[..20];

        using var er7 = await Post(Hl7v2Messages.Bytes(Hl7v2Messages.AdtA04(controlId)));
        using var hl7 = await Post(Hl7v2Messages.Bytes(Hl7v2Messages.AdtA04(controlId + "B")), Hl7v2Api.Hl7Media);

        Assert.Equal(HttpStatusCode.OK, er7.StatusCode);
        Assert.Equal(Hl7v2Api.Er7Media, er7.Content.Headers.ContentType?.MediaType);
        Assert.Equal(("AA", controlId), Ack(await er7.Content.ReadAsByteArrayAsync()));
        Assert.Equal(Hl7v2Api.Hl7Media, hl7.Content.Headers.ContentType?.MediaType);
        Assert.False(er7.Headers.Contains(Hl7v2Api.DuplicateHeader));
    }

    [Fact]
    public async Task Resend_answers_200_AA_marked_as_a_duplicate()
    {
        var body = Hl7v2Messages.Bytes(Hl7v2Messages.AdtA04(Guid.NewGuid().ToString("N")[..20]));
        using var first = await Post(body);
        using var again = await Post(body);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, again.StatusCode));
        Assert.Equal("true", again.Headers.GetValues(Hl7v2Api.DuplicateHeader).Single());
    }

    [Fact]
    public async Task Refused_message_answers_400_with_the_AR_ack()
    {
        using var response = await Post(Hl7v2Messages.Bytes(Hl7v2Messages.AdtA04("NOPV1", withPv1: false)));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(("AR", "NOPV1"), Ack(await response.Content.ReadAsByteArrayAsync()));
    }

    [Fact]
    public async Task Sender_of_another_department_is_refused_for_this_token()
    {
        // The message is from a sender health accepts, but the token is demo's: demo has no HL7 v2 senders.
        using var response = await Post(Hl7v2Messages.Bytes(Hl7v2Messages.AdtA04("DEMO1")), token: clinical.Token("demo", ClinicalScopes.Write.Name));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("AR", Ack(await response.Content.ReadAsByteArrayAsync()).Code);
    }

    [Fact]
    public async Task Read_scope_is_not_enough_and_no_token_is_401()
    {
        var body = Hl7v2Messages.Bytes(Hl7v2Messages.AdtA04("SCOPE1"));
        using var read = await Post(body, token: clinical.Token(scopes: ClinicalScopes.Read.Name));
        using var none = await clinical.Post(Hl7v2Api.Path, body, Hl7v2Api.Er7Media, token: null);

        Assert.Equal((HttpStatusCode.Forbidden, HttpStatusCode.Unauthorized), (read.StatusCode, none.StatusCode));
    }

    [Theory]
    [InlineData("application/json", 415)]
    [InlineData("text/plain", 415)]
    public async Task Other_media_types_get_415(string contentType, int status)
    {
        using var response = await Post(Hl7v2Messages.Bytes(Hl7v2Messages.AdtA04("MEDIA1")), contentType);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Body_over_the_limit_gets_413()
    {
        var message = Hl7v2Messages.AdtA04("BIG1") + "NTE|1||" + new string('x', ClinicalFixture.MaxHl7Bytes) + "\r";
        using var response = await Post(Encoding.ASCII.GetBytes(message));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    public static TheoryData<string> Hostile => ["no MSH", "invalid UTF-8 in PID", "NUL bytes", "huge repetition count", "only delimiters", "empty"];

    [Theory]
    [MemberData(nameof(Hostile))]
    public async Task Hostile_bodies_get_a_4xx_never_a_500(string name)
    {
        using var response = await Post(HostileBody(name));

        Assert.InRange((int)response.StatusCode, 400, 499);
    }

    [Theory]
    [MemberData(nameof(Hostile))]
    public async Task Hostile_bodies_to_translate_to_FHIR_get_a_4xx_never_a_500(string name)
    {
        using var response = await clinical.Post(ClinicalApi.TranslatePath + "?from=hl7v2&to=fhir", HostileBody(name), Hl7v2Api.Er7Media);

        Assert.InRange((int)response.StatusCode, 400, 499);
    }

    static byte[] HostileBody(string name)
    {
        var adt = Hl7v2Messages.AdtA04("HOSTILE1");
        return name switch
        {
            "no MSH" => Encoding.ASCII.GetBytes("PID|1||X\r"),
            "invalid UTF-8 in PID" => [.. Encoding.ASCII.GetBytes(adt.Replace("|2.5.1", "|2.5.1||||||UNICODE UTF-8", StringComparison.Ordinal)[..120]), 0xC3, 0x28, 0xFF, 0x0D],
            "NUL bytes" => [.. Encoding.ASCII.GetBytes(adt[..60]), 0, 0, 0, .. Encoding.ASCII.GetBytes(adt[60..])],
            "huge repetition count" => Encoding.ASCII.GetBytes(adt + "PID|1||" + string.Concat(Enumerable.Repeat("~", 5000)) + "\r"),
            "only delimiters" => Encoding.ASCII.GetBytes("MSH|^~\\&|||||||||||||||||\r"),
            _ => [],
        };
    }

    static (string Code, string ControlId) Ack(byte[] body)
    {
        var (code, controlId, _) = Hl7v2Messages.Read(body);
        return (code, controlId);
    }
}
