using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Adapters.Abdm.Gateway;
using IntegrationHub.Adapters.Abdm.Registry;
using IntegrationHub.Adapters.Abdm.Simulator;
using IntegrationHub.Testing;

namespace IntegrationHub.Abdm.Tests;

/// <summary>
/// Discovery and linking as ABDM drives them, against the simulated gateway, on each infrastructure and API generation:
/// every call verified, every failure answered with an ABDM error, linked care contexts listed for the department.
/// </summary>
public abstract class LinkingContract<THub>(THub hub) : IClassFixture<THub> where THub : AbdmHub
{
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    AbdmGatewaySimulator Gateway => hub.Gateway;

    /// <summary>A patient of its own for each test (the registry is shared by the class's tests).</summary>
    RegistryRecord NewPatient(string? mobile = null)
    {
        var n = RandomNumberGenerator.GetInt32(10_000_000, 99_999_999);
        var record = new RegistryRecord(ReferenceNumber: $"PAT-{n}", Name: $"Meera Test{n}", Gender: "F", YearOfBirth: 1990,
            Mobile: mobile ?? $"98{n}", AbhaNumber: null, AbhaAddress: $"meera{n}@sbx", MedicalRecordNumber: $"MR-{n}",
            CareContexts: [new CareContext($"OPD-{n}", "OPD consultation 2026-11-02", "OPConsultation"), new CareContext($"LAB-{n}", "Blood tests", "DiagnosticReport")]);
        hub.Registry.Add(record);
        return record;
    }

    async Task<(string TransactionId, GatewayReceived Answer)> Discover(RegistryRecord patient)
    {
        var transaction = Guid.NewGuid().ToString();
        var (status, requestId) = await Gateway.Discover(AbdmHub.HipId, transaction, patient.AbhaAddress!, patient.Name, patient.Gender, patient.YearOfBirth, patient.Mobile);
        Assert.Equal(202, status);
        return (transaction, await Gateway.AnswerTo(requestId, Wait));
    }

    async Task<GatewayReceived> Init(string transaction, RegistryRecord patient, params string[] careContexts)
    {
        var (status, requestId) = await Gateway.InitLink(AbdmHub.HipId, transaction, patient.AbhaAddress!, patient.ReferenceNumber,
            careContexts.Length > 0 ? careContexts : [.. patient.CareContexts.Select(c => c.ReferenceNumber)]);
        Assert.Equal(202, status);
        return await Gateway.AnswerTo(requestId, Wait);
    }

    async Task<GatewayReceived> Confirm(string linkRef, string otp)
    {
        var (status, requestId) = await Gateway.ConfirmLink(AbdmHub.HipId, linkRef, otp);
        Assert.Equal(202, status);
        return await Gateway.AnswerTo(requestId, Wait);
    }

    static string LinkRef(GatewayReceived onInit) => onInit.Body["link"]!["referenceNumber"]!.GetValue<string>();

    /// <summary>The patient (object in v0.5, first item in v3) of an on-discover or on-confirm.</summary>
    static IEnumerable<JsonNode> PatientItems(GatewayReceived answer) =>
        answer.Body["patient"] is JsonArray items ? items.Select(i => i!) : [answer.Body["patient"]!];

    static string[] CareContextsOf(GatewayReceived answer) =>
        [.. PatientItems(answer).SelectMany(p => p["careContexts"]!.AsArray()).Select(c => c!["referenceNumber"]!.GetValue<string>()).Order()];

    string ErrorOf(AbdmErrorKind kind) => (hub.Version, kind) switch
    {
        (AbdmApiVersion.V3, AbdmErrorKind.NotFound) => "ABDM-1010",
        (AbdmApiVersion.V3, AbdmErrorKind.BadOtp) => "ABDM-1035",
        (AbdmApiVersion.V05, AbdmErrorKind.NotFound) => "1000",
        (AbdmApiVersion.V05, AbdmErrorKind.BadOtp) => "1003",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public enum AbdmErrorKind { NotFound, BadOtp }

    [Fact]
    public async Task Discovered_patient_is_answered_with_its_care_contexts()
    {
        var patient = NewPatient();
        var (transaction, answer) = await Discover(patient);

        Assert.Equal(AbdmOutbound.OnDiscover, answer.Call);
        Assert.Equal(AbdmPaths.Outbound(hub.Version, AbdmOutbound.OnDiscover), answer.Path);
        Assert.Null(answer.Body["error"]);
        Assert.Equal(transaction, answer.Body["transactionId"]!.GetValue<string>());
        Assert.All(PatientItems(answer), p => Assert.Equal(patient.ReferenceNumber, p["referenceNumber"]!.GetValue<string>()));
        Assert.Equal(patient.CareContexts.Select(c => c.ReferenceNumber).Order(), CareContextsOf(answer));
        if (hub.Version == AbdmApiVersion.V3)
        {
            Assert.True(answer.Headers.ContainsKey("REQUEST-ID") && answer.Headers.ContainsKey("TIMESTAMP"));
            Assert.Equal("sbx", answer.Headers["X-CM-ID"]);
        }
        else
        {
            Assert.NotNull(answer.Body["requestId"]);
            Assert.NotNull(answer.Body["timestamp"]);
        }
    }

    [Fact]
    public async Task Unknown_patient_gets_no_match_error()
    {
        var stranger = new RegistryRecord("NOPE", "Nobody Known", "M", 1970, "9000000001", null, $"nobody{Guid.NewGuid():N}@sbx", null, []);
        var (_, answer) = await Discover(stranger);

        Assert.Equal(ErrorOf(AbdmErrorKind.NotFound), answer.ErrorCode);
        Assert.Null(answer.Body["patient"]);
    }

    [Fact]
    public async Task Two_patients_matching_is_answered_as_no_match_never_one_of_them()
    {
        var first = NewPatient();
        hub.Registry.Add(first with { ReferenceNumber = first.ReferenceNumber + "-TWIN", AbhaAddress = null, MedicalRecordNumber = null });

        var (_, answer) = await Discover(first);

        Assert.NotNull(answer.ErrorCode);
        Assert.Null(answer.Body["patient"]);
    }

    [Fact]
    public async Task Registry_that_does_not_answer_in_time_gets_an_error_answer()
    {
        var (status, requestId) = await Gateway.Discover(AbdmHub.OtherHipId, Guid.NewGuid().ToString(), "slow@sbx", "Slow Person", "M", 1980, "9000000002");
        Assert.Equal(202, status);

        var answer = await Gateway.AnswerTo(requestId, Wait);

        Assert.NotNull(answer.ErrorCode);
        Assert.Contains("in time", answer.Body["error"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Patient_links_care_contexts_with_the_otp_and_the_department_lists_them()
    {
        var patient = NewPatient();
        var (transaction, _) = await Discover(patient);

        var onInit = await Init(transaction, patient, patient.CareContexts[0].ReferenceNumber);
        Assert.Null(onInit.Body["error"]);
        Assert.EndsWith(patient.Mobile![^4..], onInit.Body["link"]!["meta"]!["communicationHint"]!.GetValue<string>());
        var otp = Gateway.OtpFor(patient.Mobile!);
        Assert.NotNull(otp);

        var onConfirm = await Confirm(LinkRef(onInit), otp!);

        Assert.Null(onConfirm.Body["error"]);
        Assert.Equal([patient.CareContexts[0].ReferenceNumber], CareContextsOf(onConfirm));
        JsonArray listed = [];
        await Eventually.Until(async () =>
        {
            var response = await hub.Get($"/api/v1/abdm/care-contexts?patientReference={patient.ReferenceNumber}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            listed = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray();
            return listed.Count > 0;
        }, Wait, "the linked care context listed");
        var row = Assert.Single(listed);
        Assert.Equal(patient.CareContexts[0].ReferenceNumber, row!["careContextReference"]!.GetValue<string>());
        Assert.Equal(patient.AbhaAddress, row["abhaAddress"]!.GetValue<string>());
        Assert.Equal("patient", row["initiatedBy"]!.GetValue<string>());

        var otherDepartment = await hub.Get($"/api/v1/abdm/care-contexts?patientReference={patient.ReferenceNumber}", hub.Token(AbdmHub.Other));
        Assert.Equal("[]", await otherDepartment.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Care_contexts_of_two_hi_types_are_linked_in_one_init()
    {
        var patient = NewPatient();
        var (transaction, _) = await Discover(patient);

        // Both care contexts (an OPConsultation and a DiagnosticReport): in v3 the gateway sends one patient item per HI type.
        var onInit = await Init(transaction, patient);
        Assert.Null(onInit.Body["error"]);
        var onConfirm = await Confirm(LinkRef(onInit), Gateway.OtpFor(patient.Mobile!)!);

        Assert.Null(onConfirm.Body["error"]);
        Assert.Equal(patient.CareContexts.Select(c => c.ReferenceNumber).Order(), CareContextsOf(onConfirm));
    }

    [Fact]
    public async Task Link_init_for_another_abha_address_than_discovered_is_refused()
    {
        var patient = NewPatient();
        var (transaction, _) = await Discover(patient);

        var (status, requestId) = await Gateway.InitLink(AbdmHub.HipId, transaction, "someone.else@sbx", patient.ReferenceNumber,
            [patient.CareContexts[0].ReferenceNumber]);
        Assert.Equal(202, status);
        var onInit = await Gateway.AnswerTo(requestId, Wait);

        Assert.NotNull(onInit.ErrorCode);
        Assert.Null(Gateway.OtpFor(patient.Mobile!));
    }

    [Fact]
    public async Task Init_asked_again_with_other_care_contexts_is_refused_and_the_first_otp_stands()
    {
        var patient = NewPatient();
        var (transaction, _) = await Discover(patient);
        var first = await Init(transaction, patient, patient.CareContexts[0].ReferenceNumber);
        var otp = Gateway.OtpFor(patient.Mobile!)!;

        var again = await Init(transaction, patient, patient.CareContexts[1].ReferenceNumber);
        var same = await Init(transaction, patient, patient.CareContexts[0].ReferenceNumber);

        Assert.NotNull(again.ErrorCode);
        Assert.Null(same.Body["error"]);
        Assert.Equal(LinkRef(first), LinkRef(same));
        Assert.Equal(otp, Gateway.OtpFor(patient.Mobile!));
        var onConfirm = await Confirm(LinkRef(first), otp);
        Assert.Equal([patient.CareContexts[0].ReferenceNumber], CareContextsOf(onConfirm));
    }

    [Fact]
    public async Task Discover_repeated_under_a_new_request_id_is_answered_to_that_id()
    {
        var patient = NewPatient();
        var (transaction, first) = await Discover(patient);

        var (status, requestId) = await Gateway.Discover(AbdmHub.HipId, transaction, patient.AbhaAddress!, patient.Name, patient.Gender, patient.YearOfBirth, patient.Mobile);
        Assert.Equal(202, status);
        var repeated = await Gateway.AnswerTo(requestId, Wait);

        Assert.Null(repeated.Body["error"]);
        Assert.Equal(CareContextsOf(first), CareContextsOf(repeated));
    }

    [Fact]
    public async Task Care_context_not_found_in_discovery_cannot_be_linked()
    {
        var patient = NewPatient();
        var (transaction, _) = await Discover(patient);

        var onInit = await Init(transaction, patient, "SOMEONE-ELSES-VISIT");

        Assert.NotNull(onInit.ErrorCode);
        Assert.Null(onInit.Body["link"]);
        Assert.Null(Gateway.OtpFor(patient.Mobile!));
    }

    [Fact]
    public async Task Link_init_for_an_unknown_transaction_gets_an_error()
    {
        var patient = NewPatient();

        var onInit = await Init(Guid.NewGuid().ToString(), patient);

        Assert.NotNull(onInit.ErrorCode);
        Assert.Null(Gateway.OtpFor(patient.Mobile!));
    }

    [Fact]
    public async Task Wrong_otp_three_times_ends_the_link()
    {
        var patient = NewPatient();
        var (transaction, _) = await Discover(patient);
        var linkRef = LinkRef(await Init(transaction, patient));
        var otp = Gateway.OtpFor(patient.Mobile!)!;
        var wrong = otp == "000000" ? "111111" : "000000";

        var answers = new List<GatewayReceived>();
        for (var i = 0; i < AbdmHub.MaxOtpAttempts; i++)
            answers.Add(await Confirm(linkRef, wrong));
        var withTheRightOtp = await Confirm(linkRef, otp);

        Assert.Equal(ErrorOf(AbdmErrorKind.BadOtp), answers[0].ErrorCode);
        Assert.All(answers, a => Assert.NotNull(a.ErrorCode));
        Assert.NotEqual(answers[0].ErrorCode, answers[^1].ErrorCode); // the last one says the attempts are used up
        Assert.NotNull(withTheRightOtp.ErrorCode); // too late: the link request is gone
        var listed = await hub.Get($"/api/v1/abdm/care-contexts?patientReference={patient.ReferenceNumber}");
        Assert.Equal("[]", await listed.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Expired_otp_is_refused()
    {
        var patient = NewPatient();
        var (transaction, _) = await Discover(patient);
        var onInit = await Init(transaction, patient);
        var expiry = DateTimeOffset.Parse(onInit.Body["link"]!["meta"]!["communicationExpiry"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        await Eventually.Until(() => DateTimeOffset.UtcNow > expiry + TimeSpan.FromMilliseconds(200), Wait, "the OTP's expiry");

        var onConfirm = await Confirm(LinkRef(onInit), Gateway.OtpFor(patient.Mobile!)!);

        Assert.NotNull(onConfirm.ErrorCode);
        Assert.Null(onConfirm.Body["patient"]);
    }

    [Fact]
    public async Task Confirm_for_an_unknown_link_reference_gets_an_error()
    {
        var onConfirm = await Confirm("lnk_" + Guid.NewGuid().ToString("N"), "123456");

        Assert.NotNull(onConfirm.ErrorCode);
    }

    [Fact]
    public async Task Discover_sent_twice_is_answered_once()
    {
        var patient = NewPatient();
        var transaction = Guid.NewGuid().ToString();
        var requestId = Guid.NewGuid().ToString();
        var body = new JsonObject
        {
            ["transactionId"] = transaction,
            ["patient"] = new JsonObject
            {
                ["id"] = patient.AbhaAddress, ["name"] = patient.Name, ["gender"] = "F", ["yearOfBirth"] = 1990,
                ["verifiedIdentifiers"] = new JsonArray(new JsonObject { ["type"] = "MOBILE", ["value"] = patient.Mobile }),
            },
        };
        Assert.Equal(202, (await Gateway.Call(AbdmInbound.Discover, AbdmHub.HipId, body, requestId: requestId)).Status);
        Assert.Equal(202, (await Gateway.Call(AbdmInbound.Discover, AbdmHub.HipId, body, requestId: requestId)).Status);
        await Gateway.AnswerTo(requestId, Wait);

        // Barrier: a later discovery of the same patient is answered, so the repeat would have been by now.
        var (_, later) = await Discover(patient);
        Assert.Null(later.Body["error"]);

        Assert.Single(Gateway.AnswersTo(requestId));
    }

    public static TheoryData<string> BadTokens => ["none", "expired", "foreign-key", "wrong-issuer", "wrong-audience", "garbage"];

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task Call_without_a_valid_gateway_token_is_refused_before_it_is_read(string kind)
    {
        using var foreign = RSA.Create(2048);
        var token = kind switch
        {
            "none" => "",
            "expired" => Gateway.Token(now: DateTimeOffset.UtcNow - TimeSpan.FromHours(1), lifetime: TimeSpan.FromMinutes(5)),
            "foreign-key" => Gateway.Token(signingKey: foreign),
            "wrong-issuer" => Gateway.Token(issuer: "https://attacker.example"),
            "wrong-audience" => Gateway.Token(audience: "someone-else"),
            _ => "not.a.jwt",
        };
        var patient = NewPatient();

        var (status, requestId) = await Gateway.Discover(AbdmHub.HipId, Guid.NewGuid().ToString(), patient.AbhaAddress!, patient.Name, "F", 1990,
            patient.Mobile, token: token);

        Assert.Equal(401, status);
        var (_, answered) = await Discover(patient); // barrier: a good call is answered
        Assert.Null(answered.Body["error"]);
        Assert.Empty(Gateway.AnswersTo(requestId));
    }

    [Fact]
    public async Task Call_for_a_hip_the_hub_does_not_serve_is_refused()
    {
        var patient = NewPatient();

        var (status, _) = await Gateway.Discover("someone-elses-hip", Guid.NewGuid().ToString(), patient.AbhaAddress!, patient.Name, "F", 1990, patient.Mobile);

        Assert.Equal(403, status);
    }

    [Theory]
    [InlineData("{\"transactionId\": 5, \"patient\": {\"id\": \"x@sbx\"}}")]
    [InlineData("{\"transactionId\":\"t\",\"patient\":{\"id\":\"a\\u0000b@sbx\"}}")]
    [InlineData("[1,2,3]")]
    [InlineData("{\"transactionId\":\"t\",\"patient\":{\"id\":\"x@sbx\",\"yearOfBirth\":1e400}}")]
    [InlineData("{\"transactionId\":")]
    public async Task Malformed_call_gets_400_and_no_answer(string json)
    {
        var (status, requestId) = await Gateway.CallRaw(AbdmInbound.Discover, AbdmHub.HipId, json);

        Assert.Equal(400, status);
        var (_, answered) = await Discover(NewPatient()); // barrier: a good call is answered
        Assert.Null(answered.Body["error"]);
        Assert.Empty(Gateway.AnswersTo(requestId));
    }
}

public sealed class Linking_InMemory_V3(InMemoryV3Hub hub) : LinkingContract<InMemoryV3Hub>(hub);

public sealed class Linking_RabbitMqPostgreSql_V3(DurableV3Hub hub) : LinkingContract<DurableV3Hub>(hub);

public sealed class Linking_RabbitMqPostgreSql_V05(DurableV05Hub hub) : LinkingContract<DurableV05Hub>(hub);
