namespace IntegrationHub.Adapters.Abdm.Registry;

/// <summary>A patient as <see cref="InMemoryPatientRegistry"/> holds it.</summary>
/// <param name="Gender"><c>M</c>, <c>F</c>, <c>O</c> or <c>U</c>.</param>
public sealed record RegistryRecord(
    string ReferenceNumber,
    string Name,
    string Gender,
    int YearOfBirth,
    string? Mobile,
    string? AbhaNumber,
    string? AbhaAddress,
    string? MedicalRecordNumber,
    IReadOnlyList<CareContext> CareContexts);

/// <summary>A registry in memory (the simulator, tests), deciding by <see cref="PatientMatching"/> like every other. Thread-safe.</summary>
public sealed class InMemoryPatientRegistry : IPatientRegistry
{
    readonly Lock _lock = new();
    readonly Dictionary<string, RegistryRecord> _records = new(StringComparer.Ordinal);

    public InMemoryPatientRegistry(IEnumerable<RegistryRecord> records)
    {
        foreach (var record in records)
            Add(record);
    }

    /// <summary>Adds a patient; a second record with the same reference number is refused (it would be two patients under one reference).</summary>
    public void Add(RegistryRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentException.ThrowIfNullOrWhiteSpace(record.ReferenceNumber);
        lock (_lock)
        {
            if (!_records.TryAdd(record.ReferenceNumber, record))
                throw new ArgumentException("The registry already holds a record with this reference number.", nameof(record));
        }
    }

    public Task<PatientMatch> Find(PatientQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var records = Snapshot();
        var matches = PatientMatching.Matching(query, records.Select(CandidateOf));
        if (PatientMatching.Refusal(matches) is { } refusal)
            return Task.FromResult<PatientMatch>(refusal);
        var match = matches[0];
        var record = records.First(r => r.ReferenceNumber == match.Candidate.ReferenceNumber);
        return Task.FromResult<PatientMatch>(new PatientMatch.Found(PatientOf(record, match.MatchedBy)));
    }

    public Task<RegistryPatient?> Get(string referenceNumber, CancellationToken cancellationToken = default)
    {
        RegistryRecord? record;
        lock (_lock)
            _records.TryGetValue(referenceNumber ?? "", out record);
        return Task.FromResult(record is null ? null : PatientOf(record, []));
    }

    List<RegistryRecord> Snapshot()
    {
        lock (_lock)
            return [.. _records.Values];
    }

    static PatientCandidate CandidateOf(RegistryRecord record) => new(
        record.ReferenceNumber, record.Name, record.Gender, record.YearOfBirth,
        OneOrNone(record.Mobile), OneOrNone(record.AbhaNumber), OneOrNone(record.AbhaAddress), OneOrNone(record.MedicalRecordNumber));

    static IReadOnlyList<string> OneOrNone(string? value) => value is null ? [] : [value];

    static RegistryPatient PatientOf(RegistryRecord record, IReadOnlyList<string> matchedBy) =>
        new(record.ReferenceNumber, record.Name, record.CareContexts, matchedBy, record.Mobile);
}
