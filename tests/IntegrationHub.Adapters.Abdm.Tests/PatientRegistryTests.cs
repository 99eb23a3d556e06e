using System.Net;
using IntegrationHub.Adapters.Abdm.Registry;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace IntegrationHub.Adapters.Abdm.Tests;

/// <summary>
/// <see cref="FhirPatientRegistry"/> beyond the contract: the searches it makes, how it reads Encounters, and a FHIR
/// server that fails, is slow, answers nonsense or is asked for a hostile id.
/// </summary>
public sealed class FhirPatientRegistryTests : IDisposable
{
    const string Mobile = "9876543210";
    const string NotABundle = "The registry's FHIR server answered something that is not a FHIR Bundle";

    readonly WireMockServer _server = WireMockServer.Start();
    readonly HttpClient _http = new();

    static readonly PatientQuery AshaByMobile = new("asha.new@sbx", [new("MOBILE", "+91 " + Mobile)], [], "Asha Devi", "F", 1985);

    static readonly string AshaBundle = """
        {"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"Patient","id":"p1",
          "name":[{"use":"official","given":["Asha"],"family":"Devi"}],"gender":"female","birthDate":"1985-02-03",
          "telecom":[{"system":"phone","value":"9876543210"}]}}]}
        """;

    FhirPatientRegistry Registry(string? bearerToken = null, TimeSpan? timeout = null, string? medicalRecordSystem = null) =>
        new(new FhirRegistryOptions
        {
            BaseUrl = new Uri(_server.Url + "/fhir"),
            BearerToken = bearerToken,
            Timeout = timeout ?? TimeSpan.FromSeconds(10),
            MedicalRecordSystem = medicalRecordSystem,
        }, _http);

    void Answer(string path, int status, string body, TimeSpan? delay = null)
    {
        var response = Response.Create().WithStatusCode(status).WithHeader("Content-Type", "application/fhir+json").WithBody(body);
        if (delay is not null)
            response = response.WithDelay(delay.Value);
        _server.Given(Request.Create().WithPath(path).UsingGet()).RespondWith(response);
    }

    IReadOnlyList<Dictionary<string, List<string>>> QueriesTo(string path) =>
        [.. _server.LogEntries.Where(e => e.RequestMessage.Path == path).Select(e => FakeFhirRegistryServer.QueryOf(e.RequestMessage.RawQuery))];

    [Fact]
    public async Task Each_identifier_is_searched_on_its_own_with_the_candidate_limit()
    {
        Answer("/fhir/Patient", 200, """{"resourceType":"Bundle","type":"searchset"}""");
        var query = new PatientQuery("Asha.Devi@SBX",
            [new("MOBILE", "+91 98765-43210"), new("NDHM_HEALTH_NUMBER", "91-1234-5678-9012")],
            [new("MR", "MR-1001"), new("MOBILE", "9123456789")], "Asha Devi", "F", 1985);

        await Registry().Find(query);

        var searches = QueriesTo("/fhir/Patient")
            .Select(q => string.Join("&", q.Where(p => p.Key != "_count").Select(p => $"{p.Key}={string.Join(",", p.Value)}")))
            .ToList();
        Assert.Equal(
        [
            "phone=9876543210",
            "identifier=https://healthid.abdm.gov.in|91123456789012",
            "identifier=https://healthid.abdm.gov.in|91-1234-5678-9012",
            "identifier=https://phr.abdm.gov.in|Asha.Devi@SBX",
            "identifier=https://phr.abdm.gov.in|asha.devi@sbx",
            "identifier=MR-1001",
        ], searches);
        Assert.All(QueriesTo("/fhir/Patient"), q => Assert.Equal(["20"], q["_count"]));
    }

    [Fact]
    public async Task The_bearer_token_and_fhir_json_are_asked_for()
    {
        Answer("/fhir/Patient", 200, """{"resourceType":"Bundle","type":"searchset"}""");

        await Registry(bearerToken: "registry-token").Find(AshaByMobile);

        Assert.NotEmpty(_server.LogEntries);
        Assert.All(_server.LogEntries.Select(e => e.RequestMessage.Headers!), headers =>
        {
            Assert.Equal("Bearer registry-token", Assert.Single(headers["Authorization"]));
            Assert.Equal("application/fhir+json", Assert.Single(headers["Accept"]));
        });
    }

    [Fact]
    public async Task Query_values_are_escaped()
    {
        var awkward = "MR&_count=1|2,3";
        using var fhir = new FakeFhirRegistryServer(
            [new RegistryRecord("P-1", "Asha Devi", "F", 1985, null, null, null, awkward, [])]);
        var registry = new FhirPatientRegistry(new FhirRegistryOptions { BaseUrl = fhir.BaseUrl, MedicalRecordSystem = "urn:hospital:mrn" }, _http);

        var match = await registry.Find(new PatientQuery("", [], [new("MR", awkward)], "Asha Devi", "F", 1985));

        Assert.Equal("P-1", Assert.IsType<PatientMatch.Found>(match).Patient.ReferenceNumber);
        var search = FakeFhirRegistryServer.QueryOf(Assert.Single(fhir.Server.LogEntries, e => e.RequestMessage.Path == "/fhir/Patient").RequestMessage.RawQuery);
        Assert.Equal(["identifier", "_count"], search.Keys);
        Assert.Equal([@"urn:hospital:mrn|MR&_count=1\|2\,3"], search["identifier"]);
        Assert.Equal(["20"], search["_count"]);
    }

    [Fact]
    public async Task Encounters_become_care_contexts_with_type_start_date_and_hi_type()
    {
        Answer("/fhir/Patient", 200, AshaBundle);
        Answer("/fhir/Encounter", 200, """
            {"resourceType":"Bundle","type":"searchset","entry":[
              {"resource":{"resourceType":"Encounter","id":"e1","identifier":[{"system":"urn:visits","value":"OP-77"}],"status":"finished",
                "class":{"code":"AMB","display":"ambulatory"},"type":[{"text":"OPD consultation"}],"period":{"start":"2026-11-02T10:30:00+05:30"}}},
              {"resource":{"resourceType":"Encounter","id":"e2","status":"finished",
                "class":{"code":"IMP","display":"inpatient encounter"},"period":{"start":"2026-10-01"}}},
              {"resource":{"resourceType":"Encounter","id":"e3","status":"finished",
                "class":{"code":"EMER"},"type":[{"coding":[{"code":"50849002","display":"Emergency visit"}]}]}},
              {"resource":{"resourceType":"Encounter","id":"e4","status":"entered-in-error","class":{"code":"AMB"}}},
              {"resource":{"resourceType":"OperationOutcome"}}]}
            """);

        var match = await Registry().Find(AshaByMobile);

        var patient = Assert.IsType<PatientMatch.Found>(match).Patient;
        Assert.Equal("p1", patient.ReferenceNumber);
        Assert.Equal("Asha Devi", patient.Display);
        Assert.Equal(
        [
            new CareContext("OP-77", "OPD consultation 2026-11-02", "OPConsultation"),
            new CareContext("e2", "inpatient encounter 2026-10-01", "DischargeSummary"),
            new CareContext("e3", "Emergency visit"),
        ], patient.CareContexts);
        var encounters = Assert.Single(QueriesTo("/fhir/Encounter"));
        Assert.Equal(["Patient/p1"], encounters["subject"]);
        Assert.Equal(["100"], encounters["_count"]);
        Assert.Equal(["-date"], encounters["_sort"]);
    }

    [Fact]
    public async Task A_search_with_more_pages_is_not_decided()
    {
        Answer("/fhir/Patient", 200, AshaBundle.Replace("\"type\":\"searchset\",",
            "\"type\":\"searchset\",\"link\":[{\"relation\":\"next\",\"url\":\"http://elsewhere/fhir?page=2\"}],"));

        var match = await Registry().Find(AshaByMobile);

        Assert.Equal(new PatientMatch.NotFound("more than one patient matches"), match);
        Assert.Single(_server.LogEntries);
    }

    [Fact]
    public async Task A_server_error_throws_naming_the_status_and_no_patient_data()
    {
        Answer("/fhir/Patient", 500, """{"resourceType":"OperationOutcome","issue":[{"diagnostics":"Asha Devi 9876543210"}]}""");

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => Registry().Find(AshaByMobile));

        Assert.Contains("500", error.Message);
        Assert.Equal(HttpStatusCode.InternalServerError, error.StatusCode);
        Assert.DoesNotContain(Mobile, error.Message);
        Assert.DoesNotContain("Asha", error.Message);
    }

    [Fact]
    public async Task A_server_error_on_Get_throws_rather_than_answering_no_patient()
    {
        Answer("/fhir/Patient/p1", 503, "");

        await Assert.ThrowsAsync<HttpRequestException>(() => Registry().Get("p1"));
    }

    [Fact]
    public async Task A_timeout_throws_HttpRequestException()
    {
        Answer("/fhir/Patient", 200, AshaBundle, delay: TimeSpan.FromSeconds(2));

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => Registry(timeout: TimeSpan.FromMilliseconds(200)).Find(AshaByMobile));

        Assert.Contains("did not answer within", error.Message);
    }

    [Fact]
    public async Task An_unreachable_server_throws_HttpRequestException()
    {
        var registry = new FhirPatientRegistry(new FhirRegistryOptions { BaseUrl = new Uri($"http://127.0.0.1:{ClosedPort()}/fhir") }, _http);

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => registry.Find(AshaByMobile));

        Assert.Equal("The registry's FHIR server could not be reached", error.Message);
    }

    static int ClosedPort()
    {
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    [Fact]
    public async Task The_callers_cancellation_is_not_a_timeout()
    {
        Answer("/fhir/Patient", 200, AshaBundle, delay: TimeSpan.FromSeconds(2));
        using var cancelled = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Registry().Find(AshaByMobile, cancelled.Token));
    }

    [Theory]
    [InlineData("""{"resourceType":"Patient","id":"p1"}""")]
    [InlineData("<html>Service Unavailable</html>")]
    [InlineData("[]")]
    [InlineData("")]
    public async Task An_answer_that_is_not_a_Bundle_throws_a_clear_message(string body)
    {
        Answer("/fhir/Patient", 200, body);

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => Registry().Find(AshaByMobile));

        Assert.Equal(NotABundle, error.Message);
    }

    [Fact]
    public async Task An_answer_over_5_MB_throws()
    {
        Answer("/fhir/Patient", 200, "{\"resourceType\":\"Bundle\",\"padding\":\"" + new string('x', 5 * 1024 * 1024) + "\"}");

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => Registry().Find(AshaByMobile));

        Assert.Contains("more than 5 MB", error.Message);
    }

    [Fact]
    public async Task A_match_without_a_valid_id_throws()
    {
        Answer("/fhir/Patient", 200, AshaBundle.Replace("\"id\":\"p1\"", "\"id\":\"../p1\""));

        await Assert.ThrowsAsync<HttpRequestException>(() => Registry().Find(AshaByMobile with { AbhaAddress = "" }));
        Assert.Single(_server.LogEntries);
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("a/b")]
    [InlineData("p1?_format=xml")]
    [InlineData("%2e%2e")]
    [InlineData("")]
    [InlineData("a b")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public async Task A_hostile_id_in_Get_makes_no_call(string reference)
    {
        Answer("/fhir/*", 200, """{"resourceType":"Patient","id":"p1"}""");

        Assert.Null(await Registry().Get(reference));
        Assert.Empty(_server.LogEntries);
    }

    [Fact]
    public async Task Get_reads_the_patient_and_its_encounters()
    {
        Answer("/fhir/Patient/p1", 200, """{"resourceType":"Patient","id":"p1","name":[{"text":"Asha Devi"}],"telecom":[{"system":"phone","value":"9876543210"}]}""");
        Answer("/fhir/Encounter", 200, """{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Encounter","id":"e1","class":{"code":"AMB","display":"ambulatory"}}}]}""");

        var patient = await Registry().Get("p1");

        Assert.NotNull(patient);
        Assert.Equal(("p1", "Asha Devi", "9876543210"), (patient.ReferenceNumber, patient.Display, patient.Mobile));
        Assert.Empty(patient.MatchedBy);
        Assert.Equal([new CareContext("e1", "ambulatory", "OPConsultation")], patient.CareContexts);
    }

    public void Dispose()
    {
        _http.Dispose();
        _server.Stop();
    }
}

/// <summary>The matching rule itself: identifiers, names, mobiles, years of birth and genders.</summary>
public sealed class PatientMatchingTests
{
    static readonly PatientCandidate Asha = new("P-1", "Asha Devi", "F", 1985, ["+91 98765-43210"], ["91-1234-5678-9012"],
        ["asha.devi@sbx"], ["MR-1001"]);

    static PatientQuery Query(IReadOnlyList<PatientIdentifier>? verified = null, IReadOnlyList<PatientIdentifier>? unverified = null,
        string abhaAddress = "someone@sbx") => new(abhaAddress, verified ?? [], unverified ?? [], "Asha Devi", "F", 1985);

    [Theory]
    [InlineData("Asha Devi", "ASHA  devi", true)]
    [InlineData("Asha", "Asha Devi", true)]
    [InlineData("Asha Devi", "Asha", true)]
    [InlineData("Devi, Asha", "Asha Devi", true)]
    [InlineData("Mary D'Souza", "mary dsouza", true)]
    [InlineData("Asha-Devi.", "asha devi", true)]
    [InlineData("Ravi", "Asha", false)]
    [InlineData("Asha Devi", "Asha Kumari", false)]
    [InlineData("A. Devi", "Asha Devi", false)]
    [InlineData("Asha Asha", "Asha Devi", false)]
    [InlineData("Asha", null, false)]
    [InlineData(null, "Asha", false)]
    [InlineData("...", "Asha", false)]
    public void Names_agree_when_every_word_of_the_shorter_is_in_the_longer(string? queried, string? recorded, bool agree) =>
        Assert.Equal(agree, PatientMatching.NamesAgree(queried, recorded));

    [Theory]
    [InlineData("+91 98765-43210", "9876543210", true)]
    [InlineData("09876543210", "98765 43210", true)]
    [InlineData("919876543210", "+91-9876543210", true)]
    [InlineData("9876543210", "9876543211", false)]
    [InlineData("76543210", "76543210", false)]
    [InlineData("", "", false)]
    public void Mobiles_are_compared_on_their_last_10_digits(string a, string b, bool same) =>
        Assert.Equal(same, PatientMatching.SameMobile(a, b));

    [Theory]
    [InlineData(1985, 1985, true)]
    [InlineData(1985, 1987, true)]
    [InlineData(1985, 1983, true)]
    [InlineData(1985, 1988, false)]
    [InlineData(1985, 1982, false)]
    [InlineData(null, 1985, true)]
    [InlineData(1985, null, true)]
    public void Years_of_birth_agree_within_two_years(int? queried, int? recorded, bool agree) =>
        Assert.Equal(agree, PatientMatching.YearsOfBirthAgree(queried, recorded));

    [Theory]
    [InlineData("F", "F", true)]
    [InlineData("f", "F", true)]
    [InlineData("F", "M", false)]
    [InlineData("U", "M", true)]
    [InlineData("F", "U", true)]
    [InlineData("O", "F", true)]
    [InlineData(null, "F", true)]
    public void Genders_disagree_only_when_both_are_known(string? queried, string? recorded, bool agree) =>
        Assert.Equal(agree, PatientMatching.GendersAgree(queried, recorded));

    [Fact]
    public void Every_identifier_that_matches_is_listed()
    {
        var query = Query(verified: [new("MOBILE", "9876543210"), new("ABHA_NUMBER", "91123456789012")], unverified: [new("MR", "MR-1001")],
            abhaAddress: "ASHA.DEVI@sbx");

        Assert.Equal(["MOBILE", "ABHA_NUMBER", "ABHA_ADDRESS", "MR"], PatientMatching.Match(query, Asha)!.MatchedBy);
    }

    [Fact]
    public void Verified_health_id_counts_as_an_abha_address()
    {
        Assert.Equal(["ABHA_ADDRESS"], PatientMatching.Match(Query(verified: [new("HEALTH_ID", "Asha.Devi@sbx")]), Asha)!.MatchedBy);
    }

    [Fact]
    public void Unverified_identifiers_other_than_the_medical_record_number_do_not_count()
    {
        var query = Query(unverified: [new("MOBILE", "9876543210"), new("NDHM_HEALTH_NUMBER", "91-1234-5678-9012"), new("HEALTH_ID", "asha.devi@sbx")]);

        Assert.Null(PatientMatching.Match(query, Asha));
    }

    [Theory]
    [InlineData("MR-1001", true)]
    [InlineData("mr-1001", false)]
    [InlineData("MR1001", false)]
    public void The_medical_record_number_matches_exactly(string value, bool matches) =>
        Assert.Equal(matches, PatientMatching.Match(Query(unverified: [new("MR", value)]), Asha) is not null);

    [Theory]
    [InlineData("Asha", "F", 1985)]
    [InlineData("Asha Devi", null, 1985)]
    [InlineData("Asha Devi", "U", 1985)]
    [InlineData("Asha Devi", "F", null)]
    public void An_unverified_medical_record_number_alone_needs_the_whole_name_gender_and_year(string name, string? gender, int? year)
    {
        var query = new PatientQuery("stranger@sbx", [], [new("MR", "MR-1001")], name, gender, year);

        Assert.Null(PatientMatching.Match(query, Asha));
        Assert.NotNull(PatientMatching.Match(query with { Name = "Devi Asha", Gender = "F", YearOfBirth = 1986 }, Asha));
    }

    [Fact]
    public void A_verified_identifier_keeps_the_lenient_name_rule_beside_the_medical_record_number()
    {
        var query = new PatientQuery("asha.devi@sbx", [], [new("MR", "MR-1001")], "Asha", null, null);

        Assert.Equal([PatientMatching.AbhaAddress, PatientMatching.MedicalRecordNumber], PatientMatching.Match(query, Asha)!.MatchedBy);
    }

    [Fact]
    public void An_identifier_without_agreeing_demographics_is_no_match()
    {
        var query = new PatientQuery("asha.devi@sbx", [], [], "Ravi Kumar", "M", 1985);

        Assert.Null(PatientMatching.Match(query, Asha));
    }

    [Fact]
    public void None_or_several_matches_are_refused_without_personal_data()
    {
        var one = new MatchedCandidate(Asha, ["MOBILE"]);

        Assert.Equal(new PatientMatch.NotFound("no patient matches"), PatientMatching.Refusal([]));
        Assert.Null(PatientMatching.Refusal([one]));
        Assert.Equal(new PatientMatch.NotFound("more than one patient matches"),
            PatientMatching.Refusal([one, new MatchedCandidate(Asha with { ReferenceNumber = "P-2" }, ["MOBILE"])]));
    }

    [Fact]
    public void One_patient_offered_twice_is_one_candidate()
    {
        var query = Query(verified: [new("MOBILE", "9876543210")]);

        Assert.Single(PatientMatching.Matching(query, [Asha, Asha]));
    }
}
