using System.Globalization;
using System.Text;

namespace IntegrationHub.Adapters.Abdm.Registry;

/// <summary>
/// The department's FHIR R4 server as its patient registry: Patients searched by each identifier ABDM sends, decided by
/// <see cref="PatientMatching"/>; the one match's Encounters are its care contexts. The server only narrows the
/// candidates: every identifier and demographic is checked again here.
/// </summary>
public sealed class FhirPatientRegistry : IPatientRegistry
{
    const int MaxEncounters = 100;

    readonly FhirRegistryOptions _options;
    readonly FhirRegistryClient _client;

    public FhirPatientRegistry(FhirRegistryOptions options, HttpClient http)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(http);
        if (!options.BaseUrl.IsAbsoluteUri || options.BaseUrl.Scheme is not ("http" or "https"))
            throw new ArgumentException("The FHIR base URL must be an absolute http(s) URL.", nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.Timeout, TimeSpan.Zero, nameof(options.Timeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxCandidates, 1, nameof(options.MaxCandidates));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.MaxCandidates, 1000, nameof(options.MaxCandidates));
        ArgumentException.ThrowIfNullOrWhiteSpace(options.AbhaNumberSystem, nameof(options.AbhaNumberSystem));
        ArgumentException.ThrowIfNullOrWhiteSpace(options.AbhaAddressSystem, nameof(options.AbhaAddressSystem));
        _options = options;
        _client = new FhirRegistryClient(options, http);
    }

    public async Task<PatientMatch> Find(PatientQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var candidates = new Dictionary<string, FhirPatient>(StringComparer.Ordinal);
        foreach (var search in PatientSearches(query))
        {
            // Only the first page is read. A search with more pages has candidates unseen, one of which could match as
            // well: rather than pick among those seen, it is not decided (never link the wrong person).
            var page = await _client.Search(search, cancellationToken);
            if (FhirResources.HasNextPage(page))
                return new PatientMatch.NotFound(PatientMatching.MoreThanOnePatientMatches);
            foreach (var resource in FhirResources.EntryResources(page, "Patient"))
            {
                var patient = FhirResources.PatientOf(resource, _options, placeholder: $"#{candidates.Count}");
                candidates.TryAdd(patient.Candidate.ReferenceNumber, patient);
            }
        }

        var matches = PatientMatching.Matching(query, candidates.Values.Select(c => c.Candidate));
        if (PatientMatching.Refusal(matches) is { } refusal)
            return refusal;
        var match = matches[0];
        var chosen = candidates[match.Candidate.ReferenceNumber];
        if (!FhirResources.IsValidId(chosen.Id))
            throw new HttpRequestException("The registry's FHIR server answered a Patient without a valid id");
        var careContexts = await CareContexts(chosen.Id!, cancellationToken);
        return new PatientMatch.Found(new RegistryPatient(chosen.Id!, chosen.Display, careContexts, match.MatchedBy, chosen.Mobile));
    }

    public async Task<RegistryPatient?> Get(string referenceNumber, CancellationToken cancellationToken = default)
    {
        if (!FhirResources.IsValidId(referenceNumber))
            return null;
        var resource = await _client.Read($"Patient/{referenceNumber}", "Patient", cancellationToken);
        if (resource is null)
            return null;
        var patient = FhirResources.PatientOf(resource.Value, _options, placeholder: referenceNumber);
        return new RegistryPatient(referenceNumber, patient.Display, await CareContexts(referenceNumber, cancellationToken), [], patient.Mobile);
    }

    /// <summary>The most recent encounters first; like patient searches, only the first page.</summary>
    async Task<IReadOnlyList<CareContext>> CareContexts(string patientId, CancellationToken cancellationToken)
    {
        var page = await _client.Search($"Encounter?subject=Patient/{patientId}&_count={MaxEncounters}&_sort=-date", cancellationToken);
        return
        [
            .. FhirResources.EntryResources(page, "Encounter")
                .Select(FhirResources.CareContextOf)
                .OfType<CareContext>()
                .DistinctBy(c => c.ReferenceNumber, StringComparer.Ordinal),
        ];
    }

    /// <summary>One search per identifier that can match: verified mobiles, ABHA numbers and addresses, and medical record numbers.</summary>
    IEnumerable<string> PatientSearches(PatientQuery query)
    {
        var count = $"&_count={_options.MaxCandidates.ToString(CultureInfo.InvariantCulture)}";
        var searches = new List<string>();
        foreach (var identifier in query.VerifiedIdentifiers)
        {
            switch (PatientMatching.KindOf(identifier.Type))
            {
                case PatientMatching.Mobile when PatientMatching.NormalisedMobile(identifier.Value) is { } mobile:
                    searches.Add($"Patient?phone={Uri.EscapeDataString(mobile)}{count}");
                    break;
                case PatientMatching.AbhaNumber when !string.IsNullOrWhiteSpace(identifier.Value):
                    searches.AddRange(AbhaNumberSpellings(identifier.Value).Select(n => IdentifierSearch(_options.AbhaNumberSystem, n) + count));
                    break;
            }
        }
        // ABHA addresses are lower case as ABDM issues them; a server comparing tokens case-sensitively finds them that way.
        foreach (var address in PatientMatching.VerifiedAbhaAddresses(query))
            searches.AddRange(new[] { address.Trim(), address.Trim().ToLowerInvariant() }.Select(a => IdentifierSearch(_options.AbhaAddressSystem, a) + count));
        foreach (var identifier in query.VerifiedIdentifiers.Concat(query.UnverifiedIdentifiers))
        {
            if (PatientMatching.KindOf(identifier.Type) == PatientMatching.MedicalRecordNumber && !string.IsNullOrWhiteSpace(identifier.Value))
                searches.Add(IdentifierSearch(_options.MedicalRecordSystem, identifier.Value) + count);
        }
        return searches.Distinct(StringComparer.Ordinal);
    }

    /// <summary>Departments store ABHA numbers with dashes (12-3456-7890-1234) or without: both are searched.</summary>
    static IEnumerable<string> AbhaNumberSpellings(string abhaNumber)
    {
        var bare = PatientMatching.NormalisedAbhaNumber(abhaNumber.Trim());
        yield return bare;
        if (bare.Length == 14)
            yield return $"{bare[..2]}-{bare[2..6]}-{bare[6..10]}-{bare[10..]}";
    }

    static string IdentifierSearch(string? system, string value) =>
        "Patient?identifier=" + Uri.EscapeDataString(system is null ? TokenEscaped(value) : $"{TokenEscaped(system)}|{TokenEscaped(value)}");

    /// <summary>FHIR search escaping: a '|', ',' or '$' in a token is data only behind a backslash.</summary>
    static string TokenEscaped(string value)
    {
        var escaped = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            if (c is '\\' or '|' or ',' or '$')
                escaped.Append('\\');
            escaped.Append(c);
        }
        return escaped.ToString();
    }
}
