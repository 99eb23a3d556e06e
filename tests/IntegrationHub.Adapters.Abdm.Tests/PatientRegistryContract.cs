using IntegrationHub.Adapters.Abdm.Registry;

namespace IntegrationHub.Adapters.Abdm.Tests;

/// <summary>
/// What every <see cref="IPatientRegistry"/> answers ABDM's discover with, given the same patients: a match only when a
/// verified identifier (or the medical record number) and the demographics agree, and never when two patients would.
/// </summary>
public abstract class PatientRegistryContract
{
    protected static readonly RegistryRecord Asha = new("P-1001", "Asha Devi", "F", 1985, "+91 98765-43210", "91-1234-5678-9012",
        "asha.devi@sbx", "MR-1001", [new("V-1", "OPD consultation", "OPConsultation"), new("A-7", "Admission", "DischargeSummary")]);

    // Asha's husband: the same mobile, other demographics.
    protected static readonly RegistryRecord Ravi = new("P-1002", "Ravi Kumar", "M", 1980, "9876543210", null, null, "MR-1002",
        [new("V-2", "OPD consultation", "OPConsultation")]);

    protected static readonly RegistryRecord[] Family = [Asha, Ravi];

    /// <summary>A registry holding exactly these patients.</summary>
    protected abstract IPatientRegistry Registry(IEnumerable<RegistryRecord> records);

    static PatientQuery Query(
        IReadOnlyList<PatientIdentifier>? verified = null, IReadOnlyList<PatientIdentifier>? unverified = null,
        string abhaAddress = "asha.new@sbx", string name = "ASHA  devi", string gender = "F", int? yearOfBirth = 1986) =>
        new(abhaAddress, verified ?? [], unverified ?? [], name, gender, yearOfBirth);

    static PatientIdentifier VerifiedMobile => new("MOBILE", "9876543210");

    [Fact]
    public async Task Patient_found_by_verified_mobile_and_demographics()
    {
        var match = await Registry(Family).Find(Query(verified: [VerifiedMobile]));

        var patient = Assert.IsType<PatientMatch.Found>(match).Patient;
        Assert.Equal("P-1001", patient.ReferenceNumber);
        Assert.Equal("Asha Devi", patient.Display);
        Assert.Equal(["MOBILE"], patient.MatchedBy);
        Assert.Equal("+91 98765-43210", patient.Mobile);
    }

    [Fact]
    public async Task Wrong_year_of_birth_is_no_match()
    {
        var match = await Registry(Family).Find(Query(verified: [VerifiedMobile], yearOfBirth: 1990));

        Assert.Equal(new PatientMatch.NotFound("no patient matches"), match);
    }

    [Fact]
    public async Task Two_patients_matching_is_no_match()
    {
        var registeredTwice = Asha with { ReferenceNumber = "P-2001", AbhaNumber = null, AbhaAddress = null, MedicalRecordNumber = "MR-2001" };

        var match = await Registry([Asha, registeredTwice, Ravi]).Find(Query(verified: [VerifiedMobile]));

        Assert.Equal(new PatientMatch.NotFound("more than one patient matches"), match);
    }

    [Fact]
    public async Task Unverified_mobile_alone_is_no_match()
    {
        var match = await Registry(Family).Find(Query(unverified: [VerifiedMobile]));

        Assert.Equal(new PatientMatch.NotFound("no patient matches"), match);
    }

    [Fact]
    public async Task Medical_record_number_matches()
    {
        var match = await Registry(Family).Find(Query(unverified: [new("MR", "MR-1002")], name: "Ravi Kumar", gender: "M", yearOfBirth: 1981));

        var patient = Assert.IsType<PatientMatch.Found>(match).Patient;
        Assert.Equal("P-1002", patient.ReferenceNumber);
        Assert.Equal(["MR"], patient.MatchedBy);
    }

    [Fact]
    public async Task Abha_address_matches_case_insensitively()
    {
        var match = await Registry(Family).Find(Query(abhaAddress: "Asha.Devi@SBX"));

        var patient = Assert.IsType<PatientMatch.Found>(match).Patient;
        Assert.Equal("P-1001", patient.ReferenceNumber);
        Assert.Equal(["ABHA_ADDRESS"], patient.MatchedBy);
    }

    [Fact]
    public async Task Abha_number_matches_with_or_without_dashes()
    {
        var match = await Registry(Family).Find(Query(verified: [new("NDHM_HEALTH_NUMBER", "91123456789012"), VerifiedMobile]));

        Assert.Equal(["MOBILE", "ABHA_NUMBER"], Assert.IsType<PatientMatch.Found>(match).Patient.MatchedBy);
    }

    [Fact]
    public async Task A_shared_mobile_is_told_apart_by_demographics()
    {
        var match = await Registry(Family).Find(Query(verified: [VerifiedMobile], name: "Ravi", gender: "M", yearOfBirth: 1980));

        Assert.Equal("P-1002", Assert.IsType<PatientMatch.Found>(match).Patient.ReferenceNumber);
    }

    [Fact]
    public async Task Care_contexts_are_listed()
    {
        var match = await Registry(Family).Find(Query(verified: [VerifiedMobile]));

        var careContexts = Assert.IsType<PatientMatch.Found>(match).Patient.CareContexts;
        Assert.Equal([("V-1", "OPConsultation"), ("A-7", "DischargeSummary")], careContexts.Select(c => (c.ReferenceNumber, c.HiType)));
        Assert.StartsWith("OPD consultation", careContexts[0].Display);
    }

    [Fact]
    public async Task Get_returns_the_patient_and_its_care_contexts()
    {
        var patient = await Registry(Family).Get("P-1002");

        Assert.NotNull(patient);
        Assert.Equal("Ravi Kumar", patient.Display);
        Assert.Equal(["V-2"], patient.CareContexts.Select(c => c.ReferenceNumber));
    }

    [Fact]
    public async Task Get_returns_null_for_unknown_reference()
    {
        Assert.Null(await Registry(Family).Get("P-9999"));
    }
}

public sealed class InMemoryPatientRegistryTests : PatientRegistryContract
{
    protected override IPatientRegistry Registry(IEnumerable<RegistryRecord> records) => new InMemoryPatientRegistry(records);

    [Fact]
    public void A_second_record_under_one_reference_number_is_refused()
    {
        var registry = new InMemoryPatientRegistry([Asha]);

        Assert.Throws<ArgumentException>(() => registry.Add(Ravi with { ReferenceNumber = Asha.ReferenceNumber }));
    }

    [Fact]
    public async Task Added_patients_are_found()
    {
        var registry = new InMemoryPatientRegistry([]);
        registry.Add(Asha);

        Assert.IsType<PatientMatch.Found>(await registry.Find(new PatientQuery("asha.devi@sbx", [], [], "Asha Devi", "F", 1985)));
    }
}

public sealed class FhirPatientRegistryContractTests : PatientRegistryContract, IDisposable
{
    readonly List<IDisposable> _owned = [];

    protected override IPatientRegistry Registry(IEnumerable<RegistryRecord> records)
    {
        var server = new FakeFhirRegistryServer(records);
        var http = new HttpClient();
        _owned.Add(server);
        _owned.Add(http);
        return new FhirPatientRegistry(new FhirRegistryOptions { BaseUrl = server.BaseUrl }, http);
    }

    public void Dispose() => _owned.ForEach(o => o.Dispose());
}
